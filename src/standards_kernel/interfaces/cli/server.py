"""``standards-kernel serve``: the HTTP JSON API, served by uvicorn (needs the ``server`` extra).

Loopback only unless ``--host`` says otherwise. Beyond loopback, recording needs the API token
(``--token-file`` or ``STANDARDS_KERNEL_API_TOKEN``; see server/guard.py), and the command says on
stderr what an address other than loopback exposes. ``--workers N`` runs N processes, each on its
own ``SO_REUSEPORT`` socket (server/workers.py).
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from pathlib import Path
from typing import Any

from ...errors import KernelError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_MAX_BODY = 8 * 1024 * 1024


def register(commands: Any) -> None:
    serve = commands.add_parser("serve", help="serve the HTTP JSON scoring API (loopback by default)")
    serve.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST}: this machine only)")
    serve.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    serve.add_argument("--ledger", metavar="LEDGER",
                       help="ledger for ?record=true and /v1/records: a file (created if missing) or a "
                            "postgresql:// URL; without it, "
                            "recording is off")
    serve.add_argument("--signing-key", metavar="PRIVATE.pem", help="the key that signs the ledger's head at each "
                       "append (default: $STANDARDS_KERNEL_SIGNING_KEY; docs/audit.md)")
    serve.add_argument("--workers", type=_positive, default=1, help="worker processes (default 1)")
    serve.add_argument("--max-body-bytes", type=_positive, default=DEFAULT_MAX_BODY,
                       help=f"largest request body accepted, in bytes (default {DEFAULT_MAX_BODY}); larger is 413")
    serve.add_argument("--token-file", metavar="FILE",
                       help="file whose first line is the API token that recording requires (Authorization: Bearer); "
                            "default: the STANDARDS_KERNEL_API_TOKEN variable. Required for recording beyond loopback")
    serve.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                       help="a host name a loopback server also answers to (e.g. a local proxy's); repeatable")
    serve.add_argument("--no-access-log", action="store_true", help="do not log each request")
    serve.set_defaults(handler=cmd_serve)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def _port(text: str) -> int:
    value = _positive(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"a port is at most 65535, got {value}")
    return value


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        from ..server.app import ENV_CONFIG, config_to_text
        from ..server.guard import Permissions, read_token
        from ..server.service import ServerConfig
        from ..server.workers import WorkerSpec, reuse_port_spreads, serve, serve_shared
    except ImportError as error:
        raise KernelError(f"the server needs its extra: {error.name} is not installed",
                          hint="pip install 'standards-kernel[server]'") from None
    from ...audit.ledger import ledger_target

    ledger: Path | str | None = None
    if args.ledger:  # a PostgreSQL URL as it is; a file made absolute, since the workers may start elsewhere
        target = ledger_target(args.ledger)
        ledger = target.resolve() if isinstance(target, Path) else target
        from .audit import use_signing_key

        use_signing_key(args.signing_key)  # checked now; the workers inherit it
    config = ServerConfig(ledger=ledger, max_body_bytes=args.max_body_bytes)
    loopback = is_loopback(args.host)
    permissions = Permissions(loopback=loopback, token_sha256=read_token(args.token_file),
                              allowed_hosts=tuple(h.lower().rstrip(".") for h in args.allow_host))
    if not loopback:
        said = ("recording needs the API token" if permissions.token_sha256 else
                "no API token is configured, so nothing can be recorded (--token-file)")
        print(f"standards-kernel: warning: serving on {args.host}, reachable from other machines; reading is "
              f"open to anyone who can reach it; {said}", file=sys.stderr)
    text = config_to_text(config, permissions)
    options: dict[str, Any] = {"access_log": not args.no_access_log, "server_header": False}
    if args.workers > 1 and not reuse_port_spreads():
        os.environ[ENV_CONFIG] = text  # each worker builds its own app from the environment
        serve_shared("standards_kernel.interfaces.server.app:app_from_env", args.workers,
                     {"host": args.host, "port": args.port, **options})
        return 0
    try:
        return serve(WorkerSpec(args.host, args.port, text, options), args.workers)
    except OSError as error:
        raise KernelError(f"cannot listen on {args.host}:{args.port}: {error.strerror or error}",
                          hint="choose another --port, or stop what uses this one") from None
