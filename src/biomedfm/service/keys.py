"""API keys: created once and shown once, stored as salted SHA-256, checked in constant time.

A key reads ``bmf_<id>_<secret>``: the id finds the row, the secret is what is hashed. Daily
quotas count the calls that do work (predictions, job submissions).

Two things keep the database off the hot path of a busy server: a checked key is remembered for
``CHECK_TTL_S`` (a revocation made elsewhere takes effect within that time; in this process at
once), and the use of keys *without* a quota is counted in memory and written at most once per
``FLUSH_S`` (it is only reported, never enforced). Keys with a quota are counted in the database
on every call, so the cap holds across processes.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from biomedfm.errors import InputError
from biomedfm.service.db import api_keys, usage


@dataclass(frozen=True)
class ApiKey:
    """A stored key, without its secret."""

    id: str
    name: str
    admin: bool
    quota_per_day: int | None
    revoked: bool
    created_at: float


def _digest(salt: str, secret: str) -> str:
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()


def _today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


CHECK_TTL_S = 2.0
FLUSH_S = 1.0
logger = logging.getLogger(__name__)


class KeyStore:
    """Creates, lists, revokes and checks API keys; counts daily usage against quotas."""

    # shared by every store in the process, so a revocation here is seen at once everywhere
    _checked: ClassVar[dict[str, tuple[float, ApiKey | None]]] = {}
    _checked_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._pending: dict[tuple[str, str], int] = {}
        self._flushed_at = time.monotonic()
        self._lock = threading.Lock()
        self._flushing = False

    def create(self, name: str, *, admin: bool = False, quota_per_day: int | None = None) -> str:
        """A new key's full text (shown once; only its salted hash is stored).

        Raises:
            InputError: the name is empty or taken, or the quota is not positive.
        """
        if not name.strip():
            raise InputError("key name is empty: give --name, e.g. --name lab1")
        if quota_per_day is not None and quota_per_day < 1:
            raise InputError(f"quota {quota_per_day} must be at least 1 call per day")
        key_id, secret, salt = secrets.token_hex(6), secrets.token_urlsafe(24), secrets.token_hex(8)
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    insert(api_keys).values(
                        id=key_id,
                        name=name.strip(),
                        salt=salt,
                        digest=_digest(salt, secret),
                        admin=admin,
                        quota_per_day=quota_per_day,
                        revoked=False,
                        created_at=time.time(),
                    )
                )
        except IntegrityError:
            raise InputError(f"a key named {name!r} exists: pick another --name") from None
        return f"bmf_{key_id}_{secret}"

    def list(self) -> list[ApiKey]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(api_keys).order_by(api_keys.c.created_at)).all()
        return [_to_key(row._mapping) for row in rows]

    def revoke(self, name_or_id: str) -> ApiKey:
        """Revoke by name or id.

        Raises:
            InputError: no such key.
        """
        with self.engine.begin() as connection:
            row = connection.execute(
                select(api_keys).where(
                    (api_keys.c.name == name_or_id) | (api_keys.c.id == name_or_id)
                )
            ).first()
            if row is None:
                raise InputError(f"no key named {name_or_id!r}: see 'biomedfm keys list'")
            connection.execute(update(api_keys).where(api_keys.c.id == row.id).values(revoked=True))
        with self._checked_lock:
            self._checked.clear()
        return _to_key({**row._mapping, "revoked": True})

    def has_admin(self) -> bool:
        with self.engine.connect() as connection:
            count = connection.execute(
                select(func.count()).where(api_keys.c.admin, ~api_keys.c.revoked)
            ).scalar_one()
        return bool(count)

    def check(self, text: str) -> ApiKey | None:
        """The key ``text`` names, if it exists, matches and is not revoked."""
        now = time.monotonic()
        cached = self._checked.get(text)
        if cached is not None and cached[0] > now:
            return cached[1]
        key = self._check(text)
        with self._checked_lock:
            if len(self._checked) > 10_000:  # many bad keys: forget, do not grow without bound
                self._checked.clear()
            self._checked[text] = (now + CHECK_TTL_S, key)
        return key

    def _check(self, text: str) -> ApiKey | None:
        parts = text.split("_", 2)
        if len(parts) != 3 or parts[0] != "bmf":
            return None
        with self.engine.connect() as connection:
            row = connection.execute(select(api_keys).where(api_keys.c.id == parts[1])).first()
        if row is None or row.revoked:
            return None
        if not hmac.compare_digest(row.digest, _digest(row.salt, parts[2])):
            return None
        return _to_key(row._mapping)

    def spend(self, key: ApiKey, calls: int = 1) -> bool:
        """Count ``calls`` against today's quota; False (nothing counted) when it would overflow."""
        if key.quota_per_day is None:
            with self._lock:
                slot = (key.id, _today())
                self._pending[slot] = self._pending.get(slot, 0) + calls
                due = not self._flushing and time.monotonic() - self._flushed_at >= FLUSH_S
                if due:
                    self._flushing = True
            if due:  # off the request path: a write transaction would stall the event loop
                threading.Thread(target=self._background_flush, daemon=True).start()
            return True
        return self._count(key.id, _today(), calls, key.quota_per_day)

    def _background_flush(self) -> None:
        try:
            self.flush()
        except Exception as error:  # the counts stay pending; the next flush retries them
            logger.warning("usage flush failed, will retry: %s", error)
        finally:
            with self._lock:
                self._flushing = False

    def flush(self) -> None:
        """Write the in-memory use of uncapped keys to the database."""
        with self._lock:
            pending, self._pending = self._pending, {}
            self._flushed_at = time.monotonic()
        items = list(pending.items())
        for done, ((key_id, day), calls) in enumerate(items):
            try:
                self._count(key_id, day, calls)
            except Exception:  # keep what was not written for the next flush, then report
                with self._lock:
                    for slot, left in items[done:]:
                        self._pending[slot] = self._pending.get(slot, 0) + left
                raise

    def _count(self, key_id: str, day: str, calls: int, quota: int | None = None) -> bool:
        """Add ``calls`` to a key's day in one transaction; False (nothing added) past ``quota``.

        Two first calls of the day may race to insert the row: the loser retries.
        """
        attempts = 4
        for attempt in range(attempts):
            try:
                with self.engine.begin() as connection:
                    used = connection.execute(
                        select(usage.c.count).where(usage.c.key_id == key_id, usage.c.day == day)
                    ).scalar()
                    if quota is not None and (used or 0) + calls > quota:
                        return False
                    if used is None:
                        connection.execute(
                            insert(usage).values(key_id=key_id, day=day, count=calls)
                        )
                    else:
                        connection.execute(
                            update(usage)
                            .where(usage.c.key_id == key_id, usage.c.day == day)
                            .values(count=usage.c.count + calls)
                        )
                return True
            except IntegrityError:
                if attempt == attempts - 1:
                    raise
        return False  # not reached: the last attempt returns or raises

    def used_today(self, key: ApiKey) -> int:
        self.flush()
        with self.engine.connect() as connection:
            used = connection.execute(
                select(usage.c.count).where(usage.c.key_id == key.id, usage.c.day == _today())
            ).scalar()
        return int(used or 0)


def _to_key(row: object) -> ApiKey:
    values = dict(row)  # type: ignore[call-overload]  # a RowMapping or a plain dict
    return ApiKey(
        id=values["id"],
        name=values["name"],
        admin=bool(values["admin"]),
        quota_per_day=values["quota_per_day"],
        revoked=bool(values["revoked"]),
        created_at=float(values["created_at"]),
    )
