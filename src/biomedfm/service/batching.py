"""Dynamic batching of synchronous predictions: concurrent requests share one model call.

Per-call costs (tensor dispatch, frame building, the protein encoding) dominate a 10-pair
request, so under load the requests that arrive while the model is busy are scored together in
the next call. Nothing waits on purpose: a lone request runs at once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from biomedfm.service.jobs.runners import cached_model, predict_rows


@dataclass
class _Request:
    pairs: list[dict[str, str]]
    done: asyncio.Future[list[dict[str, Any]]]


@dataclass
class PredictionBatcher:
    """One queue and one scoring loop per model name, inside the server's event loop."""

    max_pairs: int = 4096
    _queues: dict[str, asyncio.Queue[_Request]] = field(default_factory=dict)
    _loops: list[asyncio.Task[None]] = field(default_factory=list)

    async def predict(self, model_name: str, pairs: list[dict[str, str]]) -> list[dict[str, Any]]:
        """Rows as :func:`predict_rows` makes them, scored together with concurrent requests."""
        queue = self._queues.get(model_name)
        if queue is None:
            queue = self._queues[model_name] = asyncio.Queue()
            self._loops.append(asyncio.create_task(self._serve(model_name, queue)))
        request = _Request(pairs, asyncio.get_running_loop().create_future())
        await queue.put(request)
        return await request.done

    async def _serve(self, model_name: str, queue: asyncio.Queue[_Request]) -> None:
        while True:
            batch = [await queue.get()]
            size = len(batch[0].pairs)
            while not queue.empty() and size < self.max_pairs:
                batch.append(queue.get_nowait())
                size += len(batch[-1].pairs)
            try:
                rows = await asyncio.to_thread(
                    predict_rows,
                    cached_model(model_name),
                    [pair for request in batch for pair in request.pairs],
                )
            except Exception as error:  # one bad call fails its batch, never the loop
                for request in batch:
                    if not request.done.done():
                        request.done.set_exception(error)
                continue
            start = 0
            for request in batch:
                end = start + len(request.pairs)
                if not request.done.done():
                    request.done.set_result(rows[start:end])
                start = end

    def close(self) -> None:
        for task in self._loops:
            task.cancel()
