"""The service's database: API keys, daily usage and jobs, through SQLAlchemy Core.

SQLite (WAL) under ``BIOMEDFM_HOME`` by default; any SQLAlchemy URL (PostgreSQL for several
hosts) via ``BIOMEDFM_DATABASE_URL``. The database, not the queue, is the source of truth for
jobs: the queue only carries job ids, so a lost queue message is found again and re-sent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)

metadata = MetaData()

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("salt", String(64), nullable=False),
    Column("digest", String(128), nullable=False),
    Column("admin", Boolean, nullable=False, default=False),
    Column("quota_per_day", Integer, nullable=True),
    Column("revoked", Boolean, nullable=False, default=False),
    Column("created_at", Float, nullable=False),
)

usage = Table(
    "usage",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("count", Integer, nullable=False, default=0),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("key_id", String(32), nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("params", Text, nullable=False),
    Column("progress", Float, nullable=False, default=0.0),
    Column("message", Text, nullable=False, default=""),
    Column("result", Text, nullable=True),
    Column("error", Text, nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("worker", String(100), nullable=True),
    Column("idempotency_key", String(200), nullable=True),
    Column("lease_until", Float, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("started_at", Float, nullable=True),
    Column("finished_at", Float, nullable=True),
    UniqueConstraint("key_id", "idempotency_key", name="one_job_per_idempotency_key"),
)


def database_url(home: Path, url: str | None) -> str:
    """The configured URL, or a SQLite file under ``home``."""
    if url:
        return url
    home.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{home / 'biomedfm.sqlite'}"


def connect(url: str) -> Engine:
    """An engine with the tables created; SQLite gets WAL and a busy timeout for many writers."""
    is_sqlite = url.startswith("sqlite")
    engine = create_engine(
        url, connect_args={"timeout": 30} if is_sqlite else {}, pool_pre_ping=not is_sqlite
    )
    if is_sqlite:

        @event.listens_for(engine, "connect")
        def _pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    metadata.create_all(engine)
    return engine
