"""Audit: the one road to the decision document, evaluation records, the ledger, replay and diff.

Only the decision document's names are here; the ledger (``audit.ledger``), records
(``audit.records``) and replay (``audit.replay``) are imported from their modules, so that
``standards-kernel evaluate`` without ``--record`` starts without them.
"""

from .decision import Decision, analysed, decide, to_canonical, to_json

__all__ = ["analysed", "decide", "Decision", "to_canonical", "to_json"]
