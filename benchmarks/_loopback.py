"""Shared by the service benchmarks: wait until a freshly started server answers."""

from __future__ import annotations

import time
from typing import Any

import httpx


def wait_until_up(url: str, timeout: float = 60.0, method: str = "GET", **request: Any) -> None:
    """Poll ``url`` until it answers 200.

    Raises:
        RuntimeError: no 200 within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.request(method, url, **request).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer 200 within {timeout:.0f} s")
        time.sleep(0.2)
