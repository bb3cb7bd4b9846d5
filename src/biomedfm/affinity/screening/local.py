"""The in-process backend: featurization in worker processes, scoring in this process."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from biomedfm.affinity.library import LibraryChunk
from biomedfm.affinity.screening.featurize import (
    Featurized,
    featurize_smiles,
    init_featurizer_worker,
)
from biomedfm.affinity.screening.scoring import ChunkScores, Scorer, score_chunk
from biomedfm.chem.featurizers import make_featurizer


class LocalBackend:
    """Featurization in ``workers`` processes (0: in this process), scoring here.

    A bounded window of chunks is in flight, so featurization keeps ahead of the model (on a
    GPU too) while memory stays flat.
    """

    def __init__(self, scorer: Scorer, targets: Any, workers: int, batch: int = 1000) -> None:
        self.scorer, self.targets, self.workers, self.batch = scorer, targets, workers, batch

    def map(self, chunks: Iterator[LibraryChunk]) -> Iterator[ChunkScores]:
        spec = self.scorer.drug_featurizer_spec
        if self.workers == 0:
            featurizer = make_featurizer("drug", spec)
            for chunk in chunks:
                featurized = featurize_smiles(chunk.smiles, chunk.read_errors, featurizer)
                yield score_chunk(self.scorer, self.targets, chunk, featurized)
            return
        import multiprocessing
        from collections import deque
        from concurrent.futures import Future, ProcessPoolExecutor

        context = multiprocessing.get_context("spawn")  # no fork of a threaded torch process
        with ProcessPoolExecutor(
            self.workers, mp_context=context, initializer=init_featurizer_worker, initargs=(spec,)
        ) as pool:
            window: deque[tuple[LibraryChunk, list[Future[Featurized]]]] = deque()
            max_tasks = 4 * self.workers
            in_flight = 0
            for chunk in chunks:
                futures = []
                for start in range(0, len(chunk), self.batch):
                    part = chunk.smiles[start : start + self.batch]
                    errors = {
                        p - start: e
                        for p, e in chunk.read_errors.items()
                        if start <= p < start + self.batch
                    }
                    futures.append(pool.submit(featurize_smiles, part, errors))
                window.append((chunk, futures))
                in_flight += len(futures)
                while window and in_flight >= max_tasks:
                    in_flight -= len(window[0][1])
                    yield self._collect(*window.popleft())
            while window:
                yield self._collect(*window.popleft())

    def _collect(self, chunk: LibraryChunk, futures: list[Any]) -> ChunkScores:
        parts = [f.result() for f in futures]
        if not parts:  # an empty chunk (a table with a header only)
            return score_chunk(
                self.scorer, self.targets, chunk, Featurized(np.empty((0, 0)), np.empty(0, int), [])
            )
        offsets = range(0, len(chunk), self.batch)
        featurized = Featurized(
            np.concatenate([p.features for p in parts]),
            np.concatenate([p.valid + o for p, o in zip(parts, offsets, strict=True)]),
            [(pos + o, e) for p, o in zip(parts, offsets, strict=True) for pos, e in p.errors],
        )
        return score_chunk(self.scorer, self.targets, chunk, featurized)
