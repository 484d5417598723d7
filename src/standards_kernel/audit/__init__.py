"""Audit: the one road to the decision document, evaluation records, the ledger, replay and diff."""

from .decision import Decision, analysed, decide, to_canonical, to_json
from .ledger import Ledger, LedgerError, default_ledger_path
from .records import EvaluationRecord, read_record_file, record_evaluation
from .replay import diff_records, replay, rerecord

__all__ = [
    "analysed",
    "decide",
    "Decision",
    "default_ledger_path",
    "diff_records",
    "EvaluationRecord",
    "Ledger",
    "LedgerError",
    "read_record_file",
    "record_evaluation",
    "replay",
    "rerecord",
    "to_canonical",
    "to_json",
]
