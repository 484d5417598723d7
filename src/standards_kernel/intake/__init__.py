"""Intake: reading the data offices keep (CSV/XLSX school tables, batch feeds) into submissions."""

from .sources import InputPlan, plan_inputs
from .tables import read_submission_with_tables, read_table, submission_with_tables

__all__ = [
    "InputPlan",
    "plan_inputs",
    "read_submission_with_tables",
    "read_table",
    "submission_with_tables",
]
