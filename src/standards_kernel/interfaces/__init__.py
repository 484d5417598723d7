"""The interfaces: the ``standards-kernel`` command (:mod:`.cli`) and the HTTP API (:mod:`.server`,
which needs the ``server`` extra and is imported only when served). Nothing imports them; they
import the rest."""

__all__ = ["cli", "server"]
