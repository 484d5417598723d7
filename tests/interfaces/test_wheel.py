"""The wheel stands alone: built from this checkout, installed into an environment that has no
other copy of the kernel, it runs README's main job from the example it ships, shows the docs its
error messages name, and installs a scaffolded standard whose own tests pass (the steps `new`
prints, run as printed)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers import ROOT
from tests.helpers.venvs import make_venv

SHIPPED = ("src", "plugins", "provinces", "fixtures/counties", "docs", "pyproject.toml", "README.md", "LICENSE")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built offline from a copy of the checkout (an in-tree build would leave build/)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    for name in SHIPPED:
        origin = ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(origin, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "-w", str(work / "dist"), str(source)], check=True, capture_output=True)
    (built,) = (work / "dist").glob("standards_kernel-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment with the kernel from the wheel only (its dependencies seen from this one)."""
    where = tmp_path_factory.mktemp("venv")
    python = make_venv(where, kernel=False)
    env = {k: v for k, v in os.environ.items() if k not in ("STANDARDS_KERNEL_PLUGINS", "PYTHONPATH", "VIRTUAL_ENV")}
    env.update({"PATH": f"{python.parent}{os.pathsep}{env.get('PATH', '')}", "PIP_NO_INDEX": "1",
                "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1", "HOME": str(where)})
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)],
                   check=True, env=env, capture_output=True)
    return env


def run(env: dict[str, str], cwd: Path, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(command), cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_the_wheel_carries_licence_examples_and_docs(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert any(n.endswith(".dist-info/licenses/LICENSE") or n.endswith(".dist-info/LICENSE") for n in names)
    assert "standards_kernel_examples/yunnan/yuanjiang-2009.toml" in names
    assert "standards_kernel_docs/standard-format.md" in names
    assert "standards_kernel_docs/provinces/yunnan.md" in names
    assert not any(n.startswith("tests/") for n in names)


def test_a_wheel_user_runs_the_main_job(installed: dict[str, str], tmp_path: Path) -> None:
    where = run(installed, tmp_path, "python", "-c", "import standards_kernel; print(standards_kernel.__file__)")
    assert where.returncode == 0 and str(ROOT) not in where.stdout, where.stdout + where.stderr

    listed = run(installed, tmp_path, "standards-kernel", "example")
    assert "yunnan/yuanjiang-2009" in listed.stdout.split()

    wrote = run(installed, tmp_path, "standards-kernel", "example", "yuanjiang", "-o", "yuanjiang-2009.toml")
    assert wrote.returncode == 0, wrote.stderr
    assert (tmp_path / "yuanjiang-2009.toml").read_text("utf-8") == \
        (ROOT / "fixtures/counties/yunnan/yuanjiang-2009.toml").read_text("utf-8")
    again = run(installed, tmp_path, "standards-kernel", "example", "yuanjiang", "-o", "yuanjiang-2009.toml")
    assert again.returncode == 2 and "already exists" in again.stderr  # never overwritten

    report = run(installed, tmp_path, "standards-kernel", "evaluate", "yuanjiang-2009.toml", "--format", "json")
    assert report.returncode == 0, report.stderr
    result = json.loads(report.stdout)
    assert (result["grade"], result["grade_by_score"], result["score"]) == ("qualified", "advanced", "91.5")


def test_the_docs_errors_point_to_are_installed(installed: dict[str, str], tmp_path: Path) -> None:
    page = run(installed, tmp_path, "standards-kernel", "docs", "docs/standard-format.md")
    assert page.returncode == 0 and page.stdout == (ROOT / "docs/standard-format.md").read_text("utf-8")
    unknown = run(installed, tmp_path, "standards-kernel", "docs", "no-such-page")
    assert unknown.returncode == 2 and "standard-format" in unknown.stderr and "Traceback" not in unknown.stderr
    partial = run(installed, tmp_path, "standards-kernel", "docs", "tutorial")  # the page, not its Chinese copy
    assert partial.returncode == 0 and partial.stdout == (ROOT / "docs/tutorial-new-standard.md").read_text("utf-8")
    chinese = run(installed, tmp_path, "standards-kernel", "docs", "zh/tutorial")
    assert chinese.returncode == 0 and chinese.stdout == (ROOT / "docs/zh/tutorial-new-standard.md").read_text("utf-8")
    vague = run(installed, tmp_path, "standards-kernel", "example", "2014")
    assert vague.returncode == 2 and "several" in vague.stderr


def test_a_scaffolded_standard_installs_and_passes_its_tests(installed: dict[str, str], tmp_path: Path) -> None:
    made = run(installed, tmp_path, "standards-kernel", "new", "taohua", "county-education", "--edition", "2024")
    assert made.returncode == 0, made.stderr
    steps = made.stdout.split("next:\n", 1)[1].splitlines()
    assert steps[0].strip().startswith("cd ")
    package = tmp_path / steps[0].strip()[3:]
    # The printed steps, as printed; offline here, so pip builds with the setuptools already present.
    script = "\n".join(["set -euo pipefail", *(line.strip() for line in steps)])
    script = script.replace("pip install ", "pip install --no-build-isolation ")
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=installed, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert " passed" in done.stdout and " failed" not in done.stdout
    assert package.is_dir()
