"""docs/tutorial-new-standard.md and its Chinese version docs/zh/tutorial-new-standard.md, run:
every ```sh block in order, in a fresh directory, with the package installed into a throw-away
virtual environment; every ```text block after a command must appear in what that command printed.
So neither tutorial can fall behind the code, and the Chinese one runs the English one's commands."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.helpers import ROOT
from tests.helpers.venvs import make_venv


TUTORIAL = ROOT / "docs" / "tutorial-new-standard.md"
TUTORIALS = [TUTORIAL, ROOT / "docs" / "zh" / "tutorial-new-standard.md"]
FENCE = re.compile(r"^```(\w+)\n(.*?)^```\n", re.S | re.M)


def blocks(page: Path = TUTORIAL) -> list[tuple[str, list[str]]]:
    """Each ```sh block with the ```text excerpts that follow it."""
    found: list[tuple[str, list[str]]] = []
    for match in FENCE.finditer(page.read_text("utf-8")):
        kind, body = match.group(1), match.group(2)
        if kind == "sh":
            found.append((body, []))
        elif kind == "text" and found:
            found[-1][1].extend(line for line in body.splitlines() if line.strip() and line.strip() != "…")
    return found


def environment(tmp_path: Path) -> dict[str, str]:
    """A virtual environment that sees this interpreter's packages (so it works offline) but no
    third-party standard plugin installed where the suite runs, and a `standards-kernel` command
    that runs the module with the environment's python."""
    venv = make_venv(tmp_path, kernel=True).parent.parent
    shims = tmp_path / "bin"
    shims.mkdir()
    command = shims / "standards-kernel"
    command.write_text('#!/bin/sh\nexec python -m standards_kernel "$@"\n')
    command.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("STANDARDS_KERNEL_PLUGINS", "PYTHONPATH", "VIRTUAL_ENV")}
    env.update({
        "PATH": f"{venv / 'bin'}{os.pathsep}{shims}{os.pathsep}{env.get('PATH', '')}",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INDEX": "1", "PIP_NO_INPUT": "1",
    })
    return env


def script(found: list[tuple[str, list[str]]]) -> str:
    lines = ["set -euo pipefail"]
    for index, (body, _) in enumerate(found):
        # Offline and without fetching build tools: the installed setuptools builds the package.
        body = body.replace("pip install ", "pip install --no-deps --no-build-isolation ")
        lines += [f"echo '@@@ block {index}'", body]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("page", TUTORIALS, ids=lambda page: page.relative_to(ROOT).as_posix())
def test_the_tutorial_runs_as_written(tmp_path, page):
    found = blocks(page)
    assert len(found) >= 8, "the tutorial's commands were not found"
    work = tmp_path / "work"
    work.mkdir()
    env = environment(tmp_path)
    env.pop("STANDARDS_KERNEL_LANG", None)  # the page shows what a reader sees who chose no language
    run = subprocess.run(["bash", "-c", script(found)], cwd=work, env=env,
                         capture_output=True, text=True, timeout=600)
    outputs = re.split(r"^@@@ block \d+\n", run.stdout, flags=re.M)[1:]
    assert run.returncode == 0, (f"block {len(outputs) - 1} failed (exit {run.returncode}):\n{found[len(outputs) - 1][0]}\n"
                                 f"--- stdout\n{run.stdout[-4000:]}\n--- stderr\n{run.stderr[-4000:]}")
    assert len(outputs) == len(found)
    for (body, expected), output in zip(found, outputs):
        for line in expected:
            assert line.rstrip() in output, f"after\n{body}\nexpected to see\n  {line}\nin\n{output}"
    package = work / "standards-kernel-taohua-county-education"
    assert (package / "submission.toml").is_file()
    assert "Traceback" not in run.stderr


def commands(body: str) -> list[str]:
    """A ```sh block without its comment lines (shell comments, and TOML comments inside a
    here-document): what a translation may change without changing what runs."""
    # The reader's choice of output language is the one line a translation may add or leave out.
    return [line for line in body.splitlines()
            if not line.lstrip().startswith("#") and not line.startswith("export STANDARDS_KERNEL_LANG=")]


def test_the_chinese_tutorial_runs_the_english_commands():
    english, chinese = blocks(TUTORIALS[0]), blocks(TUTORIALS[1])
    assert len(chinese) == len(english), "the Chinese tutorial has a different number of ```sh blocks"
    for index, ((en, _), (zh, _)) in enumerate(zip(english, chinese)):
        assert commands(zh) == commands(en), f"```sh block {index} differs from the English tutorial's"
