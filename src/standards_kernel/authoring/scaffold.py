"""``standards-kernel new JURISDICTION NAME [--extends ID]``: a plugin package for a new standard.

The package is ready to install (``pip install``) and passes its own tests as generated::

    standards-kernel-<jurisdiction>-<name>/
      pyproject.toml                 the entry point that makes standards-kernel find it
      README.md
      docs/<name>.md                 the standard's documentation page, to fill in
      src/standards_kernel_<jurisdiction>_<name>/__init__.py            the plugin module
      src/standards_kernel_<jurisdiction>_<name>/standards/<name>-<edition>.toml   the standard
      src/standards_kernel_<jurisdiction>_<name>/standards/cases/<name>.case.toml  its test cases
      tests/test_standard.py         the property suite, as pytest items

Without ``--extends`` the standard is a worked example using every kind of rule, with commented
alternatives, every value a placeholder marked ``assumed``, and test cases worked out by hand.
With ``--extends ID`` it starts from an installed standard; its test case is a plausible county
evaluated under the parent's rules when generated (the file says so: a regression test until a
documented case replaces it). The templates are package data (``data/scaffold``).
"""

from __future__ import annotations

import datetime as dt
import re
from importlib import resources
from pathlib import Path

import attrs

from ..version import __version__
from ..kernel import model as m
from ..errors import KernelError
from ..kernel.loader import STANDARD_ID

JURISDICTION = re.compile(r"[a-z][a-z0-9_]*")
NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")


@attrs.frozen
class Scaffold:
    """What ``new`` made: the package directory, the standard file, the files written."""

    root: Path
    standard_file: Path
    case_file: Path
    files: tuple[Path, ...]
    id: str
    edition: str


def _template(name: str) -> str:
    return resources.files("standards_kernel").joinpath(f"data/scaffold/{name}").read_text("utf-8")


def _fill(text: str, values: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"template placeholder {key!r} has no value")
        return values[key]

    return re.sub(r"\{\{(\w+)\}\}", replace, text)


def _dates(edition: str, today: dt.date) -> tuple[dt.date, dt.date, dt.date, dt.date]:
    """effective_from, the date a placeholder dated value changes, the case dates before and after."""
    start = dt.date(int(edition), 1, 1) if re.fullmatch(r"(19|20)\d\d", edition) else dt.date(today.year, 1, 1)
    later = start.replace(year=start.year + 2)
    return start, later, start + dt.timedelta(days=151), later + dt.timedelta(days=151)


def new_standard(jurisdiction: str, name: str, *, directory: str | Path | None = None, edition: str | None = None,
                 extends: str | None = None, today: dt.date | None = None) -> Scaffold:
    """Create the plugin package of a new standard; refuses to overwrite a non-empty directory."""
    from ..kernel.registry import default_registry

    if not JURISDICTION.fullmatch(jurisdiction):
        raise KernelError(f"invalid jurisdiction {jurisdiction!r}",
                          hint="lower-case letters, digits and _, starting with a letter, e.g. lingnan")
    if not NAME.fullmatch(name):
        raise KernelError(f"invalid name {name!r}", hint="lower-case letters, digits, _ and -, e.g. county-education")
    standard_id = f"{jurisdiction}.{name}"
    if not STANDARD_ID.fullmatch(standard_id):
        raise KernelError(f"invalid standard id {standard_id!r}")
    today = today or dt.date.today()
    edition = edition or str(today.year)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", edition):
        raise KernelError(f"invalid edition {edition!r}", hint="e.g. 2024 or 2024a")
    snake = name.replace("-", "_")
    module = f"standards_kernel_{jurisdiction}_{snake}"
    plugin = f"{jurisdiction}_{snake}"
    dist = f"standards-kernel-{jurisdiction}-{name}".replace("_", "-")
    root = Path(directory) if directory else Path(dist)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise KernelError(f"{root} already exists and is not empty", hint="choose another --dir, or remove it")
    registry = default_registry()
    key = f"{standard_id}@{edition}"
    if key in registry.keys():
        raise KernelError(f"{key} is already installed (plugin {registry.plugin_of(key)!r})",
                          hint="choose another --edition or name")
    if plugin in registry.plugins:
        raise KernelError(f"a plugin named {plugin!r} is already installed",
                          hint="choose another name, or uninstall it first")
    parent: m.Standard | None = None
    if extends:
        try:
            from .properties import load
        except ImportError as error:  # the example county comes from the property kit's generator
            raise KernelError(f"new --extends needs hypothesis ({error})",
                              hint="pip install 'standards-kernel[test]'") from None
        parent = load(extends)
    start, later, as_of, as_of_later = _dates(edition, today)
    if parent is not None:
        start = max(start, parent.effective_from)
        as_of = start + dt.timedelta(days=151)
        if parent.effective_until is not None and as_of > parent.effective_until:
            as_of = parent.effective_until
    file = f"{name}-{edition}.toml"
    values = {
        "id": standard_id, "jurisdiction": jurisdiction, "name": name, "edition": edition, "module": module,
        "plugin": plugin, "dist": dist, "file": file, "kernel_version": __version__, "year": str(start.year),
        "effective_from": start.isoformat(), "later": later.isoformat(), "as_of": as_of.isoformat(),
        "as_of_later": as_of_later.isoformat(),
        "extends_line": f", extending `{parent.key}`" if parent else "",
    }
    package = root / "src" / module
    standards = package / "standards"
    files: dict[Path, str] = {
        root / "pyproject.toml": _fill(_template("pyproject.toml.tmpl"), values),
        root / "README.md": _fill(_template("README.md.tmpl"), values),
        root / "docs" / f"{name}.md": _fill(_template("docs.md.tmpl"), values),
        package / "__init__.py": _fill(_template("plugin.py.tmpl"), values),
        root / "tests" / "test_standard.py": _fill(_template("test_standard.py.tmpl"), values),
    }
    case_file = standards / "cases" / f"{name}.case.toml"
    if parent is None:
        files[standards / file] = _fill(_template("standard.toml.tmpl"), values)
        files[case_file] = _fill(_template("case.toml.tmpl"), values)
    else:
        text = _fill(_template("extends.toml.tmpl"), {**values, **_extends_values(parent)})
        files[standards / file] = text
        case, submission = _regression_case(text, parent, values, standards / file)
        files[case_file] = case
        files[standards / "cases" / f"{name}-example.toml"] = submission
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    return Scaffold(root, standards / file, case_file, tuple(sorted(files)), standard_id, edition)


def _extends_values(parent: m.Standard) -> dict[str, str]:
    params = sorted(parent.parameters.values(), key=lambda p: p.id)
    example = params[0] if params else None
    if example is None:
        intro, block = ".", ""
    else:
        dated = example.values[-1]
        c = dated.citation
        intro = (f"; e.g. {example.id} = {_show(dated.value)} ({c.status}"
                 + (f", {c.source}" if c.source else "") + "). To give the province's value:")
        block = "\n".join([
            f"# [parameters.{example.id}]",
            f"# label = {{ zh = \"{example.label.zh}\", en = \"{example.label.en}\" }}",
            f"# unit = \"{example.unit}\"",
            f"# value = {_show(dated.value)}",
            "# source = \"<a [sources] id of this file>\"",
            "# locator = \"第X条\"",
            "# status = \"verified\"",
            "",
        ])
    removable = sorted(i for i in parent.indicators if parent.indicators[i].scoring is None)[:1]
    return {
        "parent": parent.key, "parent_title": parent.title.zh, "parameter_count": str(len(params)),
        "parameter_example_intro": intro, "parameter_example": block,
        "remove_example": ", ".join(f'"indicators.{i}"' for i in removable) or '"indicators.<id>"',
    }


def _show(value: object) -> str:
    from ..kernel.numbers import canonical, is_number

    if isinstance(value, bool):
        return "true" if value else "false"
    if is_number(value):
        return canonical(value)  # type: ignore[arg-type]
    return f'"{value}"'


def _regression_case(text: str, parent: m.Standard, values: dict[str, str], file: Path) -> tuple[str, str]:
    """A case for an extending standard: a plausible county, evaluated now, its results recorded."""
    from ..kernel.evaluate import evaluate
    from ..kernel.formats import load_text
    from ..kernel.loader import build_standard
    from ..kernel.registry import default_registry
    from ..kernel.submission import submission_from_data
    from ..intake.tables import dump_submission
    from .properties import example_submission

    registry = default_registry()
    child = build_standard(load_text(text, fmt="toml", file=str(file), error=KernelError), file=str(file), text=text,
                           resolver=registry.content_for, functions=registry.functions)
    raw = example_submission(child)
    as_of = dt.date.fromisoformat(values["as_of"])
    raw["evaluation"] = {"as_of": as_of, "standard": child.id, "stage": "self"}
    raw["county"] = {"code": "000000", "name": "示例县", "province": child.jurisdiction}
    result = evaluate(submission_from_data(raw, file="<example>"), child)
    vetoes = sorted(r.rule.id for r in result.rules.values() if r.rule.kind == "veto" and r.failed)
    gates = sorted(r.rule.id for r in result.rules.values() if r.rule.kind == "gate" and r.failed)
    from ..kernel.numbers import canonical

    def ids(items: list[str]) -> str:
        return "[" + ", ".join(f'"{i}"' for i in items) + "]"

    case = "\n".join([
        f"# A test case of {child.key}: a plausible county (generated by standards_kernel.authoring.properties),",
        f"# evaluated under the rules inherited from {parent.key} when this file was made by",
        f"# standards-kernel {__version__}. It guards against unintended change; it is not evidence that the",
        "# rules are right. Replace it with a documented case (a published result, or one worked by hand",
        "# from the text) as soon as there is one.",
        f'name = "a plausible county under the rules inherited from {parent.key}"',
        f'standard = "../{values["file"]}"',
        f'submission = "{values["name"]}-example.toml"',
        f"as_of = {as_of.isoformat()}",
        "",
        "[expect]",
        f"score = {canonical(result.score)}",
        f'grade_by_score = "{result.grade_by_score}"',
        f'grade = "{result.grade}"',
        f"vetoes = {ids(vetoes)}",
        f"gates_failed = {ids(gates)}",
        "",
    ])
    submission = "# A plausible county generated for the test case next to this file (not real data).\n"
    return case, submission + dump_submission(raw)
