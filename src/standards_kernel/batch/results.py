"""The results file of a batch: its lines, what each says about a county, and resuming it.

One line per input, in input order::

    {"index":0,"input":"subs/a.toml","input_sha256":"…","ok":true,"result":{…}}
    {"error":{"error":"SubmissionError","file":"subs/b.toml","line":12,…},"index":1,…,"ok":false}

``result`` is, byte for byte, what ``standards-kernel evaluate --format json`` prints for that
input (it is the last key, so the line ends with it). ``decision_id`` is added when the batch
records to the ledger. Lines carry no timings, so a parallel run writes the same bytes as a
sequential one. Lines are appended whole and flushed one by one, fsynced after each chunk; a torn
last line (a crash mid-write) is cut off when the file is opened again.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, Mapping

import attrs

from ..audit.decision import Decision
from ..errors import KernelError
from ..intake.sources import BatchError, Item
from ..kernel.formats import canonical_json, exact_json
from ..kernel.numbers import canonical


@attrs.frozen
class CountyInfo:
    """What the summary and ``compare`` need from one results line."""

    ok: bool
    input: str
    code: str = ""
    name: str = ""
    standard: str = ""
    grade: str = ""
    score: str = ""
    grades: tuple[str, ...] = ()  # best first
    vetoes: tuple[str, ...] = ()  # triggered
    gates: tuple[str, ...] = ()  # failed
    labels: Mapping[str, str] = attrs.Factory(dict)  # rule id → label (zh / en) of those above
    error: str = ""


def info_from_line(data: Mapping[str, Any]) -> CountyInfo:
    """The summary facts of one parsed results line (ok or failed)."""
    label = str(data.get("input", ""))
    if not data.get("ok"):
        error = data.get("error") or {}
        county = data.get("county") or {}
        return CountyInfo(False, label, code=str(county.get("code", "")), name=str(county.get("name", "")),
                          error=render_error(error))
    return info_from_result(label, data["result"])


def info_from_result(label: str, result: Mapping[str, Any]) -> CountyInfo:
    county = result.get("county") or {}
    std = result.get("standard") or {}
    vetoes = {k: v for k, v in (result.get("vetoes") or {}).items() if v.get("triggered")}
    gates = {k: v for k, v in (result.get("gates") or {}).items() if v.get("failed")}
    labels = {k: _label(v.get("label")) for k, v in {**vetoes, **gates}.items()}
    return CountyInfo(
        True, label, code=str(county.get("code", "")), name=str(county.get("name", "")),
        standard=f"{std.get('id')}@{std.get('edition')}", grade=str(result.get("grade", "")),
        score=str(result.get("score", "")), grades=tuple(g["id"] for g in result.get("grades", ())),
        vetoes=tuple(sorted(vetoes)), gates=tuple(sorted(gates)), labels=labels,
    )


def info_from_decision(label: str, decision: Decision) -> CountyInfo:
    """What :func:`info_from_result` reads from the decision's document, read from the decision
    itself (the batch writes the document as text and never builds it as data)."""
    ev = decision.evaluation
    failed = {rid: r for rid, r in ev.rules.items() if r.failed}
    return CountyInfo(
        True, label, code=str(ev.submission.county.get("code", "")), name=str(ev.submission.county.get("name", "")),
        standard=f"{ev.standard.id}@{ev.standard.edition}", grade=ev.grade, score=canonical(ev.score),
        grades=tuple(g.id for g in ev.standard.grades),
        vetoes=tuple(sorted(rid for rid, r in failed.items() if r.rule.kind == "veto")),
        gates=tuple(sorted(rid for rid, r in failed.items() if r.rule.kind == "gate")),
        labels={rid: _label({"zh": r.rule.label.zh, "en": r.rule.label.en}) for rid, r in failed.items()
                if r.rule.kind in ("veto", "gate")},
    )


def _label(label: Any) -> str:
    if isinstance(label, Mapping):
        zh, en = label.get("zh", ""), label.get("en", "")
        return f"{zh} / {en}" if zh and en else zh or en
    return ""


def render_error(error: Mapping[str, Any]) -> str:
    """An error line's error as the one-line message the summary and ``compare`` show."""
    known = {k: error.get(k) for k in ("file", "path", "line", "hint")}
    rendered = KernelError(str(error.get("message", "")), **known)  # type: ignore[arg-type]
    return rendered.render()


def ok_line(item: Item, result: str | list[str], decision_id: str | None) -> bytearray:
    """The results line of a scored input, UTF-8: ``result`` is the result's text, or its pieces
    (``Decision.json_parts``), which are consumed: each is encoded onto the line and let go, so
    that a large county's result is held about once, not as text, pieces and line together."""
    head: dict[str, Any] = {"index": item.index, "input": item.label, "input_sha256": item.sha256, "ok": True}
    if decision_id:
        head["decision_id"] = decision_id
    # Every key sorts before "result": the line is canonical JSON ending with the result's bytes.
    line = bytearray((canonical_json(head)[:-1] + ',"result":').encode("utf-8"))
    if isinstance(result, str):
        line += result.encode("utf-8")
    else:
        for i, piece in enumerate(result):
            line += piece.encode("utf-8")
            result[i] = ""
    line += b"}"
    return line


def error_line(item: Item, error: Mapping[str, Any], county: Mapping[str, str]) -> bytes:
    line = {"error": dict(error), "index": item.index, "input": item.label, "input_sha256": item.sha256, "ok": False}
    if county:
        line["county"] = dict(county)
    return canonical_json(line).encode("utf-8")


@attrs.frozen
class Done:
    """A finished line found in an existing results file."""

    index: int
    sha256: str
    recorded: bool
    info: CountyInfo


class ResultsFile:
    """The append-only results file: whole lines, flushed one by one, fsynced per chunk. Locked
    while a batch writes it, so that a second batch on the same file stops at once."""

    def __init__(self, path: str | Path, *, restart: bool = False) -> None:
        self.path = Path(path)
        self.done: list[Done] = []
        self.cut_bytes = 0  # a torn last line, cut off
        try:
            self.stream = self.path.open("a+b")  # appends always go to the end
        except OSError as error:
            raise BatchError(f"cannot open the results file: {error.strerror}", file=str(self.path)) from None
        try:
            self._lock()
            if restart:
                self.stream.truncate(0)
            else:
                self._read_existing()
        except BaseException:
            self.stream.close()
            raise

    def _lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not on POSIX: no lock
            return
        try:
            fcntl.flock(self.stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise BatchError("another evaluate-batch is writing this results file", file=str(self.path),
                             hint="wait for it to finish (or stop it), then run this command again") from None

    def _read_existing(self) -> None:
        """Read the finished lines one by one (a national file is hundreds of MiB); cut off a last
        line without its newline (a crash mid-write): it is redone."""
        self.stream.seek(0)
        end = 0
        for number, raw in enumerate(self.stream, 1):
            if not raw.endswith(b"\n"):
                self.cut_bytes = len(raw)
                break
            end += len(raw)
            try:
                line = exact_json(raw.decode("utf-8"))
                done = Done(int(line["index"]), str(line["input_sha256"]), "decision_id" in line, info_from_line(line))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise BatchError(f"line {number} is not a results line ({type(exc).__name__}: {exc})",
                                 file=str(self.path), line=number,
                                 hint="give another --out, or --restart to start this file again") from None
            self.done.append(done)
        if self.cut_bytes:
            self.stream.truncate(end)
            os.fsync(self.stream.fileno())

    def write(self, lines: Iterable[bytes | bytearray]) -> None:
        for line in lines:  # UTF-8 already (ok_line, error_line)
            self.stream.write(line)
            self.stream.write(b"\n")
            self.stream.flush()
        os.fsync(self.stream.fileno())

    def close(self) -> None:
        if not self.stream.closed:
            self.stream.flush()
            os.fsync(self.stream.fileno())
            self.stream.close()
