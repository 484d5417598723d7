"""Audit: the one road to the decision document, evaluation records, the ledger, replay and diff."""
