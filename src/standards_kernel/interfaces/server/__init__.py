"""The HTTP JSON API of the kernel (``standards-kernel serve``; needs the ``server`` extra).

Modules: :mod:`.app` assembles the Litestar app; :mod:`.routes` holds the endpoints;
:mod:`.service` does the work apart from HTTP; :mod:`.models` derives the response models from
the kernel's attrs model; :mod:`.schema` builds the JSON Schema of a submission; :mod:`.bodies`
reads request bodies exactly; :mod:`.problems` turns errors into RFC 9457 problem details.
docs/api.md is the user's guide.
"""

from __future__ import annotations

from .service import ServerConfig

__all__ = ["ServerConfig", "create_app"]


def __getattr__(name: str):  # noqa: ANN202 - lazy, so that importing ServerConfig stays light
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(name)
