"""Signed ledger heads: Ed25519 keys, the signed head of an append, and the head log.

A chain of hashes is unkeyed: someone who can write the database can append a record, or rewrite
the tail, with recomputed hashes, and a truncated chain is still a valid prefix. With a signing key
configured, every append transaction signs the ledger's new head — (ledger format, seq, the seq
of the first record the transaction added, entry_hash, signed_at) — and stores it twice: as a row
of the ledger's append-only ``heads`` table, and as a line appended (and fsynced) to a head log
outside the database, which is what shows a truncation. ``ledger verify --public-key`` checks both
(:meth:`.ledger.Ledger.verify`). Needs ``cryptography`` (the ``signing`` extra), imported only
when a key is used.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Sequence

import attrs

from ..errors import KernelError

ENV_SIGNING_KEY = "STANDARDS_KERNEL_SIGNING_KEY"
ENV_HEAD_LOG = "STANDARDS_KERNEL_HEAD_LOG"
HEAD_FORMAT = "standards-kernel/ledger-head@1"
#: A heads row, as stored: the columns in order.
HEAD_COLUMNS = ("seq", "first_seq", "entry_hash", "signed_at", "key_id", "signature")


class SigningError(KernelError):
    """A key or head log that cannot be read, written or used."""


def _ed25519() -> Any:
    try:
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:
        raise SigningError("signed ledger heads need the cryptography library, which is not installed",
                           hint='install the extra: pip install "standards-kernel[signing]"') from None
    return ed25519


def _serialization() -> Any:
    _ed25519()
    from cryptography.hazmat.primitives import serialization

    return serialization


@attrs.frozen
class Head:
    """A signed head: the ledger's last record after one append transaction."""

    seq: int
    first_seq: int  # the first record the transaction added: a gap before it is an unsigned append
    entry_hash: str
    signed_at: str
    key_id: str
    signature: str  # hex

    def message(self, ledger_format: str) -> bytes:
        return f"{HEAD_FORMAT}\n{ledger_format}\n{self.seq}\n{self.first_seq}\n{self.entry_hash}\n{self.signed_at}".encode()

    def row(self) -> tuple[Any, ...]:
        return tuple(getattr(self, c) for c in HEAD_COLUMNS)

    def line(self) -> str:
        return json.dumps(attrs.asdict(self), sort_keys=True, separators=(",", ":")) + "\n"


def head_of(values: Sequence[Any]) -> Head:
    seq, first_seq, entry_hash, signed_at, key_id, signature = values
    return Head(int(seq), int(first_seq), str(entry_hash), str(signed_at), str(key_id), str(signature))


def key_id_of(public_key: Any) -> str:
    raw = public_key.public_bytes(_serialization().Encoding.Raw, _serialization().PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


@attrs.frozen
class Verifier:
    """A public key that checks heads."""

    key: Any
    key_id: str
    path: str

    def valid(self, head: Head, ledger_format: str) -> bool:
        from cryptography.exceptions import InvalidSignature

        try:
            self.key.verify(bytes.fromhex(head.signature), head.message(ledger_format))
        except (InvalidSignature, ValueError):
            return False
        return True


@attrs.frozen
class Signer:
    """A private key, and the head log its heads are appended to."""

    key: Any
    key_id: str
    head_log: Path

    def sign(self, ledger_format: str, seq: int, first_seq: int, entry_hash: str, signed_at: str) -> Head:
        unsigned = Head(seq, first_seq, entry_hash, signed_at, self.key_id, "")
        return attrs.evolve(unsigned, signature=self.key.sign(unsigned.message(ledger_format)).hex())

    def log(self, head: Head) -> None:
        """Append the head's line to the head log and fsync it (one write: concurrent writers'
        lines do not interleave)."""
        try:
            new = not self.head_log.exists()
            fd = os.open(self.head_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, head.line().encode())
                os.fsync(fd)
            finally:
                os.close(fd)
            if new:  # the file's name, too, must survive a power loss
                folder = os.open(self.head_log.parent, os.O_RDONLY)
                try:
                    os.fsync(folder)
                finally:
                    os.close(folder)
        except OSError as error:
            raise SigningError(f"cannot append to the head log: {error.strerror}", file=str(self.head_log),
                               hint=f"the record is in the ledger and its head is signed there; "
                                    f"give a writable log with ${ENV_HEAD_LOG}") from None


def _read_key(path: str | Path) -> bytes:
    try:
        with open(path, "rb") as handle:
            data = handle.read(64 * 1024 + 1)
    except OSError as error:
        raise SigningError(f"cannot read the key: {error.strerror}", file=str(path)) from None
    if len(data) > 64 * 1024:
        raise SigningError("not a key file (larger than 64 KiB)", file=str(path))
    return data


@functools.lru_cache(maxsize=8)
def load_signer(path: str, head_log: str | None = None) -> Signer:
    """The private key in ``path`` (PEM, PKCS#8, unencrypted Ed25519); its head log is
    ``head_log``, else ``$STANDARDS_KERNEL_HEAD_LOG``, else the key's path + ``.heads``."""
    ed25519 = _ed25519()
    try:
        key = _serialization().load_pem_private_key(_read_key(path), password=None)
    except (ValueError, TypeError) as error:
        raise SigningError(f"not an unencrypted Ed25519 private key in PEM: {error}", file=path,
                           hint="make one with: standards-kernel ledger keygen PRIVATE.pem PUBLIC.pem") from None
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise SigningError("the private key is not an Ed25519 key", file=path)
    log = head_log or os.environ.get(ENV_HEAD_LOG) or f"{path}.heads"
    return Signer(key, key_id_of(key.public_key()), Path(log).absolute())


def signer_from_env() -> Signer | None:
    """The signer ``$STANDARDS_KERNEL_SIGNING_KEY`` names, or None."""
    path = os.environ.get(ENV_SIGNING_KEY)
    return load_signer(str(Path(path).absolute()), os.environ.get(ENV_HEAD_LOG)) if path else None


def load_verifier(path: str | Path) -> Verifier:
    ed25519 = _ed25519()
    try:
        key = _serialization().load_pem_public_key(_read_key(path))
    except (ValueError, TypeError) as error:
        raise SigningError(f"not an Ed25519 public key in PEM: {error}", file=str(path)) from None
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise SigningError("the public key is not an Ed25519 key", file=str(path))
    return Verifier(key, key_id_of(key), str(path))


def keygen(private: str | Path, public: str | Path) -> str:
    """Write a new key pair (the private key readable by its owner only); refuses to overwrite.
    Returns the key id."""
    ed25519 = _ed25519()
    serialization = _serialization()
    for path in (private, public):
        if os.path.lexists(path):
            raise SigningError("the file exists: keygen does not overwrite a key", file=str(path))
    key = ed25519.Ed25519PrivateKey.generate()
    secret = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                               serialization.NoEncryption())
    shared = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    for path, data, mode in ((private, secret, 0o600), (public, shared, 0o644)):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        except OSError as error:
            raise SigningError(f"cannot create the key file: {error.strerror}", file=str(path)) from None
        try:
            os.fchmod(fd, mode)  # whatever the umask
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
    return key_id_of(key.public_key())


@attrs.frozen
class HeadLog:
    heads: tuple[Head, ...]
    torn: bool  # the last line was cut off (a crash mid-write): ignored


def read_head_log(path: str | Path) -> HeadLog:
    """The heads in a head log; a line that is not a head is an error naming its line."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise SigningError(f"cannot read the head log: {error.strerror}", file=str(path)) from None
    lines = data.split(b"\n")
    torn = lines[-1] != b""
    heads = []
    for number, raw in enumerate(lines[:-1], start=1):
        try:
            item = json.loads(raw.decode("utf-8"))
            if not isinstance(item, dict) or set(item) != set(HEAD_COLUMNS):
                raise ValueError(f"the fields are not {', '.join(HEAD_COLUMNS)}")
            heads.append(head_of([item[c] for c in HEAD_COLUMNS]))
        except (ValueError, TypeError) as error:
            raise SigningError(f"not a signed head: {error}", file=str(path), line=number) from None
    return HeadLog(tuple(heads), torn)
