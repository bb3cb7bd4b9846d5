"""API keys: created once and shown once, stored as salted SHA-256, checked in constant time.

A key reads ``bmf_<id>_<secret>``: the id finds the row, the secret is what is hashed. Daily
quotas count the calls that do work (predictions, job submissions).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

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


class KeyStore:
    """Creates, lists, revokes and checks API keys; counts daily usage against quotas."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

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
        return _to_key({**row._mapping, "revoked": True})

    def has_admin(self) -> bool:
        with self.engine.connect() as connection:
            count = connection.execute(
                select(func.count()).where(api_keys.c.admin, ~api_keys.c.revoked)
            ).scalar_one()
        return bool(count)

    def check(self, text: str) -> ApiKey | None:
        """The key ``text`` names, if it exists, matches and is not revoked."""
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
        for _ in range(3):  # two first calls of the day may race to insert the row
            try:
                return self._spend(key, calls)
            except IntegrityError:
                continue
        return self._spend(key, calls)

    def _spend(self, key: ApiKey, calls: int) -> bool:
        day = _today()
        with self.engine.begin() as connection:
            used = connection.execute(
                select(usage.c.count).where(usage.c.key_id == key.id, usage.c.day == day)
            ).scalar()
            if key.quota_per_day is not None and (used or 0) + calls > key.quota_per_day:
                return False
            if used is None:
                connection.execute(insert(usage).values(key_id=key.id, day=day, count=calls))
            else:
                connection.execute(
                    update(usage)
                    .where(usage.c.key_id == key.id, usage.c.day == day)
                    .values(count=usage.c.count + calls)
                )
        return True

    def used_today(self, key: ApiKey) -> int:
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
