"""`standards-kernel new`: a plugin package that loads, passes its own cases and properties as
generated (installing it with pip is exercised by tests/authoring/test_tutorial.py)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import subprocess
import sys

import pytest
import tomli

from standards_kernel.errors import KernelError
from standards_kernel.kernel.registry import default_registry
from standards_kernel.authoring.scaffold import new_standard
from standards_kernel.authoring.cases import run_path
from standards_kernel.authoring.properties import PROPERTIES, run_property

TODAY = dt.date(2026, 3, 1)


def test_a_new_standard_has_every_file_and_passes_its_own_cases(tmp_path):
    made = new_standard("lingnan", "county-education", directory=tmp_path / "pkg", edition="2024", today=TODAY)
    module = "standards_kernel_lingnan_county_education"
    assert sorted(str(p.relative_to(made.root)) for p in made.files) == [
        "README.md", "docs/county-education.md", "pyproject.toml", f"src/{module}/__init__.py",
        f"src/{module}/standards/cases/county-education.case.toml", f"src/{module}/standards/county-education-2024.toml",
        "tests/test_standard.py",
    ]
    project = tomli.loads((made.root / "pyproject.toml").read_text("utf-8"))
    assert project["project"]["name"] == "standards-kernel-lingnan-county-education"
    assert project["project"]["entry-points"]["standards_kernel"] == {"lingnan_county_education": module}
    assert project["tool"]["setuptools"]["package-data"][module] == ["standards/*.toml", "standards/cases/*.toml"]
    standard = default_registry().load_path(made.standard_file)
    assert (standard.key, standard.effective_from) == ("lingnan.county-education@2024", dt.date(2024, 1, 1))
    kinds = {i.scoring.kind for i in standard.indicators.values() if i.scoring}
    assert kinds == {"threshold", "deduction", "bands", "levels", "panel", "zero_if"}  # every kind of points
    assert {r.effect for r in standard.rules.values()} == {"cap", "deny"}
    assert any(i.k_of_n for i in standard.indicators.values()) and len(standard.parameters["dropout_line"].values) == 2
    results, problems = run_path(made.root / "src")
    assert problems == [] and len(results) == 4
    assert [r.report() for r in results if not r.passed] == []


def test_the_plugin_module_contributes_the_standard_file(tmp_path):
    made = new_standard("lingnan", "county-education", directory=tmp_path / "pkg", edition="2024", today=TODAY)
    init = made.standard_file.parent.parent / "__init__.py"
    sys.path.insert(0, str(init.parent.parent))
    try:
        spec = importlib.util.spec_from_file_location("standards_kernel_lingnan_county_education", init)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        assert [f.name for f in module.standards_kernel_standards()] == ["county-education-2024.toml"]
    finally:
        sys.path.remove(str(init.parent.parent))
        sys.modules.pop("standards_kernel_lingnan_county_education", None)


@pytest.mark.parametrize("name", list(PROPERTIES))
def test_the_generated_standard_passes_the_property_suite(tmp_path, name):
    made = new_standard("lingnan", "county-education", directory=tmp_path / "pkg", edition="2024", today=TODAY)
    standard = default_registry().load_path(made.standard_file)
    report = run_property(standard, name, max_examples=15, quiet=True, database=False, shrink=False)
    assert report.passed, report.message


def test_extending_an_installed_standard(tmp_path):
    made = new_standard("gx", "basic-balance", directory=tmp_path / "gx", edition="2020", extends="national.basic-balance@2017",
                        today=TODAY)
    text = made.standard_file.read_text("utf-8")
    assert 'extends = "national.basic-balance@2017"' in text
    parent = default_registry().get("national.basic-balance@2017")
    first = sorted(parent.parameters)[0]
    assert f"# [parameters.{first}]" in text  # the commented example names a real parameter of the parent
    standard = default_registry().load_path(made.standard_file)
    assert standard.extends == "national.basic-balance@2017" and set(standard.indicators) == set(parent.indicators)
    case = made.case_file.read_text("utf-8")
    assert "It guards against unintended change; it is not evidence that the" in case
    results, problems = run_path(made.case_file)
    assert problems == [] and [r.passed for r in results] == [True]


@pytest.mark.parametrize("args, message", [
    (("Yunnan", "x"), "invalid jurisdiction 'Yunnan'"),
    (("lingnan", "County"), "invalid name 'County'"),
    (("yunnan", "county-education"), "yunnan.county-education@2009 is already installed (plugin 'yunnan')"),
])
def test_refusals(tmp_path, args, message):
    error = pytest.raises(KernelError, new_standard, *args, directory=tmp_path / "x", edition="2009", today=TODAY).value
    assert str(error).startswith(message)


def test_an_existing_directory_is_never_overwritten(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "notes.txt").write_text("mine", "utf-8")
    error = pytest.raises(KernelError, new_standard, "lingnan", "x", directory=tmp_path / "pkg").value
    assert "already exists and is not empty" in str(error)
    assert (tmp_path / "pkg" / "notes.txt").read_text("utf-8") == "mine"


def test_the_cli(tmp_path):
    run = subprocess.run([sys.executable, "-m", "standards_kernel", "new", "lingnan", "county-education",
                          "--edition", "2024"], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("created standards-kernel-lingnan-county-education/ for lingnan.county-education@2024:\n")
    assert (tmp_path / "standards-kernel-lingnan-county-education" / "README.md").is_file()
    again = subprocess.run([sys.executable, "-m", "standards_kernel", "new", "lingnan", "county-education"],
                           capture_output=True, text=True, cwd=tmp_path)
    assert again.returncode == 2 and "already exists and is not empty" in again.stderr and "Traceback" not in again.stderr
