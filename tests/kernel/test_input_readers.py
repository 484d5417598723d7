"""The input readers: the bounded file reader, the one JSON reader, ASCII-only numbers, the
submission's ``format`` and ``evaluation.standard``, and text made printable for output."""

from __future__ import annotations

import json
import os
import string
import threading
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from standards_kernel.errors import NumberError, StandardError, StandardNotFound, SubmissionError
from standards_kernel.kernel.files import MAX_INPUT_BYTES, check_xlsx, read_input_bytes, read_input_text
from standards_kernel.kernel.formats import MAX_DEPTH, InputTextError, exact_json, load_text, printable
from standards_kernel.kernel.numbers import MAX_DIGITS, MIN_EXPONENT, significant_digits, to_decimal
from standards_kernel.kernel.registry import Registry
from standards_kernel.kernel.submission import submission_from_data
from tests.helpers import DATA, synthetic_county

# -- the bounded reader ------------------------------------------------------------------------


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    path = tmp_path / "pipe.toml"
    os.mkfifo(path)
    outcome: list[BaseException] = []
    reader = threading.Thread(target=lambda: _catch(outcome, path), daemon=True)
    reader.start()
    reader.join(timeout=5)
    assert not reader.is_alive(), "reading a FIFO hung"
    (error,) = outcome
    assert isinstance(error, SubmissionError)
    assert str(error) == f"{path}: the submission is not a regular file (a pipe) " \
                         "(give a file; pipes, devices and directories are not read)"


def _catch(outcome: list[BaseException], path: Path) -> None:
    try:
        read_input_bytes(path, what="submission", error=SubmissionError)
    except SubmissionError as error:
        outcome.append(error)


def test_a_device_and_a_directory_are_refused(tmp_path: Path) -> None:
    with pytest.raises(StandardError, match=r"/dev/zero: the standard is not a regular file \(a device\)"):
        read_input_bytes("/dev/zero", what="standard", error=StandardError)
    with pytest.raises(StandardError, match=r"not a regular file \(a directory\)"):
        read_input_bytes(tmp_path, what="standard", error=StandardError)


def test_the_size_limit_is_exact(tmp_path: Path) -> None:
    path = tmp_path / "x.toml"
    path.write_bytes(b"a" * 10)
    assert read_input_bytes(path, what="submission", error=SubmissionError, limit=10) == b"a" * 10
    with pytest.raises(SubmissionError, match="is 10 bytes, over the limit of 9 bytes"):
        read_input_bytes(path, what="submission", error=SubmissionError, limit=9)
    assert MAX_INPUT_BYTES == 64 * 1024 * 1024


def test_text_that_is_not_utf8_names_the_encoding_the_line_and_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "gbk.toml"
    path.write_bytes("[county]\nname = \"测试县\"\n".encode("gbk"))
    with pytest.raises(SubmissionError) as caught:
        read_input_text(path, what="submission", error=SubmissionError)
    assert caught.value.line == 2 and caught.value.file == str(path)
    assert "the submission is not UTF-8 text (byte 0xb2 at offset 17)" in str(caught.value)


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(SubmissionError, match="cannot read the submission: No such file or directory"):
        read_input_text(tmp_path / "none.toml", what="submission", error=SubmissionError)


def test_an_xlsx_is_refused_by_its_declared_sizes(tmp_path: Path) -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a", b"\0" * (64 * 1024 * 1024 + 1))
    data = buffer.getvalue()
    assert len(data) < 200_000
    with pytest.raises(SubmissionError, match="unpacks to 67108865 bytes, over the limit of 64 MiB"):
        check_xlsx(data, file="b.xlsx", error=SubmissionError)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(10_001):
            archive.writestr(f"{i}", b"")
    with pytest.raises(SubmissionError, match="10001 zip entries, over the limit of 10000"):
        check_xlsx(buffer.getvalue(), file="b.xlsx", error=SubmissionError)


# -- the one JSON reader -----------------------------------------------------------------------


def test_duplicate_keys_are_refused_at_any_depth() -> None:
    with pytest.raises(InputTextError, match="duplicate key 'a'"):
        exact_json('{"a": 1, "a": 1}')
    with pytest.raises(InputTextError, match="duplicate key 'b'"):
        exact_json('{"x": [{"b": 1, "b": 2}]}')


def test_lone_surrogates_are_refused_naming_the_key_path_and_pairs_are_read() -> None:
    with pytest.raises(InputTextError) as caught:
        exact_json('{"county": {"name": "a\\ud800b"}}')
    assert caught.value.path == "county.name" and "lone surrogate \\ud800" in str(caught.value)
    with pytest.raises(InputTextError, match=r"schools\[1\]: a key holds a lone surrogate \\udc00"):
        exact_json('{"schools": [{}, {"\\udc00": 1}]}')
    assert exact_json('{"a": "\\ud83d\\ude00"}') == {"a": "\U0001f600"}


def test_nesting_is_bounded_and_brackets_inside_text_do_not_count() -> None:
    ok = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert exact_json(ok) is not None
    with pytest.raises(InputTextError, match=f"nested deeper than {MAX_DEPTH} levels"):
        exact_json("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    assert exact_json(json.dumps({"a": "[" * 1000 + "\\\"{" * 1000})) == {"a": "[" * 1000 + "\\\"{" * 1000}
    with pytest.raises(InputTextError, match="line 3"):
        exact_json("\n\n" + "[" * 100_000)


def test_load_text_turns_every_refusal_into_the_callers_error() -> None:
    with pytest.raises(SubmissionError) as caught:
        load_text('{"county": {"name": "\\ud800"}}', fmt="json", file="s.json", error=SubmissionError)
    assert caught.value.file == "s.json" and caught.value.path == "county.name"
    with pytest.raises(StandardError, match=f"s.toml: nested deeper than {MAX_DEPTH} levels"):
        load_text("x = " + "[" * 5000 + "]" * 5000, fmt="toml", file="s.toml", error=StandardError)
    with pytest.raises(StandardError, match=f"nested deeper than {MAX_DEPTH} levels"):
        load_text(".".join(["a"] * (MAX_DEPTH + 1)) + " = 1", fmt="toml", file="s.toml", error=StandardError)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_exact_json_reads_what_json_writes(value: object) -> None:
    assert exact_json(json.dumps(value)) == value


# -- numbers -----------------------------------------------------------------------------------

NON_ASCII_DIGITS = st.characters(categories=["Nd"]).filter(lambda c: not c.isascii())


@given(st.lists(NON_ASCII_DIGITS, min_size=1, max_size=4), st.text(string.digits, max_size=3))
def test_digits_other_than_ascii_are_never_read_as_numbers(digits: list[str], ascii_part: str) -> None:
    with pytest.raises(NumberError, match="ASCII digits"):
        to_decimal(ascii_part + "".join(digits), where="data.x")


@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=-10**20, max_value=10**20)
       # below 1e-30, or more than 28 significant digits, is refused, on purpose (docs/limits.md)
       .filter(lambda d: (not d or MIN_EXPONENT <= d.adjusted()) and significant_digits(d) <= MAX_DIGITS))
def test_ascii_number_text_reads_exactly(number: Decimal) -> None:
    assert to_decimal(str(number)) == number


def test_full_width_and_arabic_indic_digits_are_refused_naming_the_field() -> None:
    for text in ("１２", "١٢", "۱۲", "१२"):
        with pytest.raises(NumberError) as caught:
            to_decimal(text, where="data.satisfaction_surveyed")
        assert caught.value.path == "data.satisfaction_surveyed"
        assert caught.value.hint == "write the number with ASCII digits 0-9"


# -- the submission's format and standard ---------------------------------------------------------


@pytest.mark.parametrize("value", [1, "standards-kernel/submission@1"])
def test_the_known_submission_formats_are_read(value: object) -> None:
    assert submission_from_data({**synthetic_county(2), "format": value}).county["name"] == "测试县"


@pytest.mark.parametrize("value", [2, "1", True, Decimal("1.0"), "standards-kernel/evaluation@1", [1]])
def test_any_other_submission_format_is_refused(value: object) -> None:
    with pytest.raises(SubmissionError) as caught:
        submission_from_data({**synthetic_county(2), "format": value})
    assert caught.value.path == "format" and "unknown submission format" in caught.value.message


@pytest.mark.parametrize("ref", ["test.synthetic", "national.basic-balance@2012", "henan.school-conditions@2014"])
def test_a_submission_names_its_standard_by_id(ref: str) -> None:
    data = synthetic_county(2)
    data["evaluation"] = {**data["evaluation"], "standard": ref}
    assert submission_from_data(data).standard == ref


@pytest.mark.parametrize("ref", ["/dev/zero", "../standards/synthetic.toml", "synthetic.toml", "x.json",
                                 "a/b.c", "C:\\std.toml", "national.basic-balance@../x", "", "Test.Synthetic"])
def test_a_submission_never_names_a_file_as_its_standard(ref: str) -> None:
    data = synthetic_county(2)
    data["evaluation"] = {**data["evaluation"], "standard": ref}
    with pytest.raises(SubmissionError) as caught:
        submission_from_data(data)
    assert caught.value.path == "evaluation.standard"
    assert "--standard PATH" in (caught.value.hint or "")


def test_resolving_an_id_never_reads_a_file_of_that_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "test.synthetic").write_text((DATA / "standards" / "synthetic.toml").read_text("utf-8"), "utf-8")
    monkeypatch.chdir(tmp_path)
    registry = Registry([])
    assert registry.resolve("test.synthetic", None).key == "test.synthetic@1"  # the command line may
    with pytest.raises(StandardNotFound, match="no standard 'test.synthetic'"):
        registry.resolve_id("test.synthetic", None)


# -- printable output ------------------------------------------------------------------------------


def _unsafe(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cs") or char in "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e" \
        "\u2066\u2067\u2068\u2069"


@given(st.text(alphabet=st.characters(codec=None)))
def test_printable_text_has_no_control_characters_and_keeps_the_rest(text: str) -> None:
    shown = printable(text)
    assert not any(_unsafe(c) for c in shown)
    if not any(_unsafe(c) for c in text):
        assert shown == text


def test_printable_escapes_terminal_sequences_visibly() -> None:
    assert printable("县\x1b[31m\u202e\x00") == "县\\x1b[31m\\u202e\\x00"
    assert printable("东城县 Dongcheng") == "东城县 Dongcheng"
