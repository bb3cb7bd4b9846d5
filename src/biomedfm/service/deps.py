"""Typed dependencies: the app's services, the caller's API key, rate limits and quotas."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from biomedfm.config import Settings
from biomedfm.service.jobs.queue import JobQueue
from biomedfm.service.jobs.store import Job
from biomedfm.service.keys import ApiKey, KeyStore


class RateLimiter:
    """Requests per key per minute, a sliding one-minute window per server process.

    A deque per key, trimmed from the old end: O(1) amortised per request however busy the key.
    """

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._lock = threading.Lock()
        self._calls: dict[str, deque[float]] = defaultdict(deque)

    def allow(self, key_id: str) -> bool:
        now = time.monotonic()
        with self._lock:
            calls = self._calls[key_id]
            while calls and now - calls[0] >= 60.0:
                calls.popleft()
            if len(calls) >= self.per_minute:
                return False
            calls.append(now)
        return True


@dataclass
class Services:
    """Everything a request handler needs, built once per app."""

    settings: Settings
    keys: KeyStore
    queue: JobQueue
    limiter: RateLimiter = field(init=False)

    def __post_init__(self) -> None:
        self.limiter = RateLimiter(self.settings.service.rate_per_minute)


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def require_key(
    request: Request,
    services: ServicesDep,
    x_api_key: Annotated[
        str | None, Header(description="API key from 'biomedfm keys create'.")
    ] = None,
) -> ApiKey:
    """The caller's key; 401 without a valid one, 429 over the per-minute rate.

    Async on purpose: checks hit an in-memory cache almost always, and a sync dependency would
    cost every request a hop to the thread pool.
    """
    if not x_api_key:
        raise HTTPException(
            401, "missing X-API-Key header: create a key with 'biomedfm keys create --name NAME'"
        )
    key = services.keys.check(x_api_key)
    if key is None:
        raise HTTPException(401, "invalid or revoked API key")
    if not services.limiter.allow(key.id):
        raise HTTPException(
            429,
            f"rate limit of {services.limiter.per_minute} requests/minute reached; retry shortly",
            headers={"Retry-After": "5"},
        )
    request.state.key_name = key.name
    return key


KeyDep = Annotated[ApiKey, Depends(require_key)]


def spend_quota(services: Services, key: ApiKey, calls: int = 1) -> None:
    """Count work against the key's daily quota; 429 when it is spent."""
    if not services.keys.spend(key, calls):
        raise HTTPException(
            429,
            f"daily quota of {key.quota_per_day} calls for key {key.name!r} is used up; it "
            "resets at 00:00 UTC",
        )


def visible_job(services: Services, key: ApiKey, job_id: str) -> Job:
    """The job if this key may see it (its own, or any for an admin key); 404 otherwise."""
    job = services.queue.store.get(job_id)
    if job is None or not (key.admin or job.key_id == key.id):
        raise HTTPException(404, f"no job {job_id!r} for this key")
    return job
