"""The interfaces: the ``standards-kernel`` command (:mod:`.cli`) and the HTTP API (:mod:`.server`).
Nothing imports them; they import the rest."""
