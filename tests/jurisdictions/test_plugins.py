"""The plugin layer from the outside: ``standards-kernel plugins`` and ``list``, warnings and errors
of broken or clashing plugins on the command line, and a third-party plugin distribution built
and installed into a temporary virtual environment."""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Iterator

import pytest

from standards_kernel.kernel import registry as reg
from standards_kernel.interfaces.cli.main import main
from standards_kernel.kernel.loader import load_standard_file
from tests.helpers import ROOT
from tests.helpers.plugins import EXAMPLE, YUNNAN_FILE, FakeEntryPoint, make_plugin, tiny_standard

YUANJIANG = ROOT / "fixtures" / "counties" / "yunnan" / "yuanjiang-2009.toml"


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test builds the process registry anew, pinned to the yunnan plugin unless it says
    otherwise (the other jurisdictions' standards are other tests' business)."""
    monkeypatch.setenv("STANDARDS_KERNEL_PLUGINS", "yunnan")
    reg._registry_for.cache_clear()
    yield
    reg._registry_for.cache_clear()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def with_entry_points(monkeypatch: pytest.MonkeyPatch, *extra: FakeEntryPoint) -> None:
    """The installed yunnan plugin plus ``extra``, all loaded (no selection)."""
    yunnan = [ep for ep in metadata.entry_points(group="standards_kernel") if ep.name == "yunnan"]
    monkeypatch.setattr(reg, "installed_entry_points", lambda: [*extra, *yunnan])
    monkeypatch.delenv("STANDARDS_KERNEL_PLUGINS")


# -- standards-kernel list / plugins ------------------------------------------------------------

def test_list_shows_the_yunnan_standard(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "list")
    assert (code, err) == (0, "")
    assert out == (
        "yunnan.county-education (yunnan)\n"
        "  2009: in force 2006-01-01 to 2018-12-31; plugin yunnan\n"
        "    云南省县级人民政府教育工作督导评估 / Yunnan supervision evaluation of county governments' education work\n"
        "    parameters: verified 0, corroborated 3, reconstructed 0, assumed 2\n"
    )


def test_list_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "list", "--format", "json")
    assert (code, err) == (0, "")
    assert json.loads(out) == {
        "errors": [],
        "standards": [{
            "id": "yunnan.county-education",
            "jurisdiction": "yunnan",
            "editions": [{
                "edition": "2009",
                "title": {"zh": "云南省县级人民政府教育工作督导评估",
                          "en": "Yunnan supervision evaluation of county governments' education work"},
                "effective_from": "2006-01-01",
                "effective_until": "2018-12-31",
                "extends": None,
                "plugin": "yunnan",
                "sha256": load_standard_file(YUNNAN_FILE).sha256,
                "parameters": {"verified": 0, "corroborated": 3, "reconstructed": 0, "assumed": 2},
            }],
        }],
    }


def test_list_counts_each_parameter_once_under_its_least_certain_status() -> None:
    standard = load_standard_file(YUNNAN_FILE)
    counts = standard.parameter_statuses()  # what `list` and `check` print
    assert sum(counts.values()) == len(standard.parameters) == 5
    assert counts["assumed"] == 2  # advanced_cutoff and qualified_cutoff


def test_plugins_shows_each_plugin_with_its_distribution_hooks_and_standards(capsys: pytest.CaptureFixture[str]) -> None:
    version = metadata.version("standards-kernel")
    code, out, err = run(capsys, "plugins")
    assert (code, err) == (0, "")
    assert out == (
        f"yunnan: standards-kernel {version} (standards_kernel_plugins.yunnan)\n"
        "  hooks: standards_kernel_standards\n"
        "  standards: yunnan.county-education@2009\n"
    )
    code, out, _ = run(capsys, "plugins", "--format", "json")
    assert code == 0
    assert json.loads(out) == {"errors": [], "plugins": [{
        "name": "yunnan", "distribution": "standards-kernel", "version": version,
        "module": "standards_kernel_plugins.yunnan", "hooks": ["standards_kernel_standards"],
        "standards": [{"key": "yunnan.county-education@2009", "conflict": False}], "functions": [],
    }]}


def test_an_empty_selection_loads_no_plugin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STANDARDS_KERNEL_PLUGINS", "")
    assert run(capsys, "plugins") == (0, "no plugins loaded (STANDARDS_KERNEL_PLUGINS limits them)\n", "")
    assert run(capsys, "list") == (0, "no standards installed\n", "")


# -- broken plugins on the command line --------------------------------------------------------

BROKEN = FakeEntryPoint("broken", error=SyntaxError("invalid syntax (broken.py, line 3)"), value="sk_broken")
BROKEN_LINE = ("standards-kernel: warning: plugin 'broken' (fake-dist 9.9, sk_broken) failed to import: "
               "SyntaxError: invalid syntax (broken.py, line 3)\n")


def test_a_broken_plugin_is_a_warning_and_evaluation_goes_on(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with_entry_points(monkeypatch, BROKEN)
    code, out, err = run(capsys, "evaluate", str(YUANJIANG), "--format", "json")
    assert code == 0 and err == BROKEN_LINE
    assert json.loads(out)["grade"] == "qualified"


def test_a_broken_plugin_fails_the_plugins_check(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    with_entry_points(monkeypatch, BROKEN)
    code, out, err = run(capsys, "plugins")
    assert (code, err) == (1, "")
    assert out.splitlines()[0].startswith("yunnan: standards-kernel")
    assert out.splitlines()[-2:] == ["errors (1):", "  " + BROKEN_LINE.removeprefix("standards-kernel: warning: ").rstrip()]
    code, out, _ = run(capsys, "plugins", "--format", "json")
    assert code == 1
    assert json.loads(out)["errors"] == [{
        "error": "PluginError",
        "message": "plugin 'broken' (fake-dist 9.9, sk_broken) failed to import: SyntaxError: invalid syntax (broken.py, line 3)",
    }]


def test_list_warns_about_a_broken_plugin_and_lists_the_rest(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with_entry_points(monkeypatch, BROKEN)
    code, out, err = run(capsys, "list", "--format", "json")
    assert code == 0 and err == BROKEN_LINE
    report = json.loads(out)
    assert [s["id"] for s in report["standards"]] == ["yunnan.county-education"]
    assert [e["message"] for e in report["errors"]] == [BROKEN_LINE.removeprefix("standards-kernel: warning: ").rstrip()]


def test_a_standard_that_does_not_load_is_a_warning_in_list(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('format = 1\n[standard]\nid = "test.bad"\nedition = "1"\nsurprise = true\n', "utf-8")
    with_entry_points(monkeypatch, FakeEntryPoint("odd", make_plugin("odd", [bad])))
    code, out, err = run(capsys, "list")
    assert code == 0
    assert err.startswith(f"standards-kernel: warning: {bad}:") and err.count("\n") == 1
    assert out.startswith("yunnan.county-education (yunnan)\n")


# -- duplicates and dates on the command line -----------------------------------------------------

def test_a_duplicated_standard_fails_naming_both_plugins_and_the_rest_works(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with_entry_points(
        monkeypatch,
        FakeEntryPoint("copycat", make_plugin("copycat", [YUNNAN_FILE, tiny_standard()])),
    )
    conflict = (f"plugins 'copycat' and 'yunnan' both provide the standard yunnan.county-education@2009 "
                f"(copycat: {YUNNAN_FILE}; yunnan: {YUNNAN_FILE}) "
                "(uninstall one, or limit the plugins with STANDARDS_KERNEL_PLUGINS)")
    code, out, err = run(capsys, "evaluate", str(YUANJIANG))
    assert (code, out) == (2, "")
    assert err == f"standards-kernel: warning: {conflict}\nstandards-kernel: error: {conflict}\n"

    other = tmp_path / "county.toml"
    other.write_text('[county]\ncode = "1"\nname = "x"\nprovince = "test"\n[evaluation]\nas_of = 2021-01-01\n'
                     'standard = "test.tiny"\n[data]\nsatisfaction_surveyed = 7\n', "utf-8")
    code, out, err = run(capsys, "evaluate", str(other), "--format", "json")
    assert code == 0 and err == ""  # the registry warned once per process, above
    assert json.loads(out)["indicators"]["surveyed"]["value"] == "7"

    code, out, _ = run(capsys, "plugins")
    assert code == 1
    assert "  standards: test.tiny@1, yunnan.county-education@2009 (conflict)" in out.splitlines()


def test_no_edition_in_force_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "evaluate", str(YUANJIANG), "--as-of", "2020-01-01")
    assert (code, out) == (2, "")
    assert err == ("standards-kernel: error: no edition of yunnan.county-education is in force on 2020-01-01 "
                   "(editions: 2009 (2006-01-01 to 2018-12-31))\n")


def test_standard_id_at_edition_pins_and_an_unknown_edition_lists_the_known(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "evaluate", str(YUANJIANG), "--standard", "yunnan.county-education@2009", "--format", "json")
    assert code == 0 and json.loads(out)["standard"]["edition"] == "2009"
    code, _, err = run(capsys, "evaluate", str(YUANJIANG), "--standard", "yunnan.county-education@2001")
    assert code == 2
    assert err == "standards-kernel: error: no standard yunnan.county-education@2001 (editions: 2009)\n"


# -- a third-party distribution, installed for real ---------------------------------------------

def test_a_third_party_plugin_installed_in_a_virtual_environment_is_listed_and_evaluated(tmp_path: Path) -> None:
    """Build tests/plugin_example (its own pyproject.toml, entry point ``example``) with pip into a
    fresh virtual environment that sees this environment's packages (standards_kernel, pluggy, …),
    offline, then run the command line there."""
    source = tmp_path / "sk-example-plugin"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("__pycache__"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  check=True, capture_output=True, text=True).stdout.strip())
    # A venv made from inside a venv sees the base interpreter, not this environment: add this
    # environment's site directories (their .pth files too, for editable installs).
    (purelib / "_parent_environment.pth").write_text(
        "".join(f"import site; site.addsitedir({p!r})\n" for p in site.getsitepackages()), "utf-8")
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", PYTHONDONTWRITEBYTECODE="1")
    env["STANDARDS_KERNEL_PLUGINS"] = "example,yunnan"  # the plugin and one built-in beside it
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-index", "--no-deps",
         "--no-build-isolation", str(source)],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    assert (purelib / "sk_example_plugin-0.1.0.dist-info" / "entry_points.txt").read_text() == (
        "[standards_kernel]\nexample = sk_example_plugin\n\n")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([str(python), "-m", "standards_kernel", *args], capture_output=True, text=True,
                              env=env, cwd=source, timeout=120)
        assert done.returncode == 0 and done.stderr == "", done.stdout + done.stderr
        return done

    plugins = {p["name"]: p for p in json.loads(cli("plugins", "--format", "json").stdout)["plugins"]}
    assert plugins["example"] == {
        "name": "example", "distribution": "sk-example-plugin", "version": "0.1.0", "module": "sk_example_plugin",
        "hooks": ["standards_kernel_functions", "standards_kernel_standards"],
        "standards": [{"key": "example.satisfaction@2024", "conflict": False}], "functions": ["share"],
    }
    assert sorted(plugins) == ["example", "yunnan"]  # a built-in plugin comes through the same group

    listed = {s["id"]: s for s in json.loads(cli("list", "--format", "json").stdout)["standards"]}
    (edition,) = listed["example.satisfaction"]["editions"]
    assert (edition["edition"], edition["effective_from"], edition["plugin"], edition["parameters"]["assumed"]) == (
        "2024", "2024-01-01", "example", 1)
    assert sorted(listed) == ["example.satisfaction", "yunnan.county-education"]

    result = json.loads(cli("evaluate", "county.toml", "--format", "json").stdout)
    assert (result["standard"]["id"], result["score"], result["grade"]) == ("example.satisfaction", "10", "pass")
    assert result["indicators"]["satisfaction"]["value"] == "0.88"  # share(352, 400), computed by the plugin

    pinned = dict(env, STANDARDS_KERNEL_PLUGINS="yunnan")
    done = subprocess.run([str(python), "-m", "standards_kernel", "list"], capture_output=True, text=True,
                          env=pinned, cwd=source, timeout=120)
    assert done.returncode == 0 and "example.satisfaction" not in done.stdout and "yunnan" in done.stdout
