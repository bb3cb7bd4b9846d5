"""Structured access logs (no request bodies: they may hold unpublished structures or
clinical questions) and Prometheus metrics."""

from __future__ import annotations

import json
import logging
import time

from fastapi import Response
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


def route_template(scope: Scope) -> str:
    """The matched route with its prefixes, ids left as ``{job_id}`` (bounded metric labels)."""
    route_path = getattr(scope.get("route"), "path", None)
    if not isinstance(route_path, str):
        return "unmatched"
    concrete = route_path
    for name, value in scope.get("path_params", {}).items():
        concrete = concrete.replace("{" + name + "}", str(value))
    full = str(scope.get("path", ""))
    return full[: len(full) - len(concrete)] + route_path if full.endswith(concrete) else route_path


class ObserveMiddleware:
    """Pure ASGI (no per-request task or body copy): size guard, access log line, metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics, max_body_bytes: int) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        length = Headers(scope=scope).get("content-length", "")

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            if length.isdigit() and int(length) > self.max_body_bytes:
                detail = {"detail": f"request body over {self.max_body_bytes} bytes: split it"}
                await JSONResponse(detail, status_code=413)(scope, receive, send_and_record)
            else:
                await self.app(scope, receive, send_and_record)
        finally:
            self._record(scope, status, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        method = str(scope.get("method", ""))
        template = route_template(scope)
        self.metrics.requests.labels(method, template, str(status)).inc()
        self.metrics.latency.labels(method, template).observe(seconds)
        if access_log.isEnabledFor(logging.INFO):
            state = scope.get("state", {})
            client = scope.get("client")
            access_log.info(
                json.dumps(
                    {
                        "method": method,
                        "route": template,
                        "status": status,
                        "ms": round(seconds * 1000, 2),
                        "key": state.get("key_name"),
                        "client": client[0] if client else None,
                    }
                )
            )
