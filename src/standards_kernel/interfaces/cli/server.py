"""``standards-kernel serve``: the HTTP JSON API, served by uvicorn (needs the ``server`` extra).

Loopback only unless ``--host`` says otherwise: the API has no authentication, so exposing it is
a deliberate choice, and the command says so on stderr when the address is not a loopback one.
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
    serve.add_argument("--ledger", metavar="PATH",
                       help="ledger file for ?record=true and /v1/records (created if missing); without it, "
                            "recording is off")
    serve.add_argument("--workers", type=_positive, default=1, help="worker processes (default 1)")
    serve.add_argument("--max-body-bytes", type=_positive, default=DEFAULT_MAX_BODY,
                       help=f"largest request body accepted, in bytes (default {DEFAULT_MAX_BODY}); larger is 413")
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
        import uvicorn

        from ..server.app import ENV_CONFIG, config_to_env, create_app
        from ..server.service import ServerConfig
    except ImportError as error:
        raise KernelError(f"the server needs its extra: {error.name} is not installed",
                          hint="pip install 'standards-kernel[server]'") from None
    ledger = Path(args.ledger).resolve() if args.ledger else None
    config = ServerConfig(ledger=ledger, max_body_bytes=args.max_body_bytes)
    if not is_loopback(args.host):
        print(f"standards-kernel: warning: serving on {args.host}, reachable from other machines; "
              "the API has no authentication", file=sys.stderr)
    options: dict[str, Any] = {"host": args.host, "port": args.port, "access_log": not args.no_access_log,
                               "server_header": False}
    if args.workers > 1:
        # Each worker builds its own app from the configuration passed in the environment.
        os.environ[ENV_CONFIG] = config_to_env(config)
        from ..server.workers import serve_workers

        serve_workers("standards_kernel.interfaces.server.app:app_from_env", args.workers, options)
    else:
        uvicorn.run(create_app(config), **options)
    return 0
