"""API keys (stored hashed, shown once) and idempotency records for `/api/v1`.

A key is `il_` + `secrets.token_urlsafe(32)`; only its SHA-256 is stored, so a leaked
database does not leak working keys. An idempotency record ties (key, Idempotency-Key) to
the request's hash and the entry it created, so a retry never logs twice.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.errors import InterlogError, NotFound, Refused
from storage.models import Base, utcnow

KEY_PREFIX = "il_"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$")


class ApiKey(Base):
    """A named key for another system (an ERP); `key_hash` is the SHA-256 of the key."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60), unique=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    hint: Mapped[str] = mapped_column(sa.String(12))  # the first characters, for humans
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"ApiKey(name={self.name!r}, revoked={self.revoked_at is not None!r})"


class IdempotencyRecord(Base):
    """One `Idempotency-Key` of one API key: the request it came with and the entry made."""

    __tablename__ = "api_idempotency"

    id: Mapped[int] = mapped_column(primary_key=True)
    api_key_id: Mapped[int] = mapped_column(sa.ForeignKey("api_keys.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(200))
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    entry_no: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.UniqueConstraint("api_key_id", "key"),)

    def __repr__(self) -> str:
        return f"IdempotencyRecord(key={self.key!r}, entry_no={self.entry_no!r})"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewApiKey:
    """A key just created: `key` is shown once and never stored."""

    name: str
    key: str


def create_api_key(session: Session, name: str) -> NewApiKey:
    """A new key named `name` (letters, digits, `.`, `_`, `-`); refused if the name is taken."""
    name = name.strip()
    if not NAME_PATTERN.match(name):
        raise InterlogError(
            f"API key name {name!r} must be 1-60 letters, digits, '.', '_' or '-'"
        )
    if session.scalar(sa.select(ApiKey).where(ApiKey.name == name)) is not None:
        raise Refused(f"an API key named {name!r} exists already; revoke it first")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiKey(name=name, key_hash=hash_key(key), hint=key[:7]))
    session.flush()
    return NewApiKey(name=name, key=key)


def list_api_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(sa.select(ApiKey).order_by(ApiKey.name)))


def revoke_api_key(session: Session, name: str) -> ApiKey:
    """Revoke the key; its name is freed by renaming the row (the audit trail keeps it)."""
    key = session.scalar(
        sa.select(ApiKey).where(ApiKey.name == name.strip(), ApiKey.revoked_at.is_(None))
    )
    if key is None:
        raise NotFound(f"no active API key named {name!r}")
    key.revoked_at = utcnow()
    key.name = f"{key.name[:40]}~revoked-{key.id}"
    session.flush()
    return key


def authenticate(session: Session, presented: str) -> ApiKey | None:
    """The active key whose hash matches `presented`, or None."""
    if not presented.startswith(KEY_PREFIX) or len(presented) > 200:
        return None
    digest = hash_key(presented)
    key = session.scalar(sa.select(ApiKey).where(ApiKey.key_hash == digest))
    if key is None or key.revoked_at is not None:
        return None
    if not hmac.compare_digest(key.key_hash, digest):
        return None
    return key


def find_idempotency(session: Session, api_key_id: int, key: str) -> IdempotencyRecord | None:
    return session.scalar(
        sa.select(IdempotencyRecord).where(
            IdempotencyRecord.api_key_id == api_key_id, IdempotencyRecord.key == key
        )
    )


def record_idempotency(
    session: Session, *, api_key_id: int, key: str, request_hash: str, entry_no: int
) -> None:
    session.add(IdempotencyRecord(
        api_key_id=api_key_id, key=key, request_hash=request_hash, entry_no=entry_no
    ))
    session.flush()
