"""Tests of records, the ledger, replay."""
