"""Authoring kit for policy teams: test cases as data, the pytest plugin, the property kit, the
template, the scaffold of a new standard, and the diff between two standards."""

from .cases import load_cases, run_case, run_path
from .diff import diff_standards
from .scaffold import new_standard
from .template import render_csv, render_toml

__all__ = [
    "diff_standards",
    "load_cases",
    "new_standard",
    "render_csv",
    "render_toml",
    "run_case",
    "run_path",
]
