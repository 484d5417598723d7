"""Intake: reading the data offices keep (CSV/XLSX school tables, batch feeds) into submissions."""
