"""Structured access logs (no request bodies: they may hold unpublished structures or
clinical questions) and Prometheus metrics."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

access_log = logging.getLogger("biomedfm.service.access")


class Metrics:
    """Per-app registry, so several apps in one process (tests) do not collide."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "biomedfm_requests_total",
            "HTTP requests by route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "biomedfm_request_seconds",
            "HTTP request latency by route.",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )

    def render(self) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


def route_template(request: Request) -> str:
    """The matched route with its prefixes, ids left as ``{job_id}`` (bounded metric labels)."""
    route_path = getattr(request.scope.get("route"), "path", None)
    if not isinstance(route_path, str):
        return "unmatched"
    concrete = route_path
    for name, value in request.scope.get("path_params", {}).items():
        concrete = concrete.replace("{" + name + "}", str(value))
    full = str(request.scope.get("path", ""))
    return full[: len(full) - len(concrete)] + route_path if full.endswith(concrete) else route_path


def install(app: FastAPI, metrics: Metrics, max_body_bytes: int) -> None:
    """Body-size guard, access log line and metrics around every request."""

    @app.middleware("http")
    async def observe(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > max_body_bytes:
            response: Response = Response(
                json.dumps({"detail": f"request body over {max_body_bytes} bytes: split it"}),
                status_code=413,
                media_type="application/json",
            )
        else:
            response = await call_next(request)
        seconds = time.perf_counter() - started
        template = route_template(request)
        metrics.requests.labels(request.method, template, str(response.status_code)).inc()
        metrics.latency.labels(request.method, template).observe(seconds)
        access_log.info(
            json.dumps(
                {
                    "method": request.method,
                    "route": template,
                    "status": response.status_code,
                    "ms": round(seconds * 1000, 2),
                    "key": getattr(request.state, "key_name", None),
                    "client": request.client.host if request.client else None,
                }
            )
        )
        return response
