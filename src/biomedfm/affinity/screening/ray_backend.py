"""Screening on a Ray cluster: each library chunk is featurized and scored by a Ray task.

With no address a local Ray is started with this machine's CPUs (and stopped afterwards). The
driver still reads the library, merges the top-K and commits the resume state, in library
order, so the result is the same as the in-process backend's. Needs the ``ray`` extra.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any

from biomedfm.affinity.library import LibraryChunk
from biomedfm.affinity.screening.featurize import featurize_smiles
from biomedfm.affinity.screening.scoring import ChunkScores, TorchScorer, score_chunk
from biomedfm.affinity.screening.targets import Target
from biomedfm.errors import BiomedfmError

_WORKER_STATE: dict[str, Any] = {}


def _score_remote(
    model: str, device: str, sequences: list[str], chunk: LibraryChunk
) -> ChunkScores:
    """Runs in a Ray worker: the model and target embeddings are loaded once per process."""
    key = f"{model}|{device}|{hash(tuple(sequences))}"
    if _WORKER_STATE.get("key") != key:
        import torch

        from biomedfm.affinity.io import load_model
        from biomedfm.chem.featurizers import make_featurizer

        torch.set_num_threads(1)
        scorer = TorchScorer(load_model(model, device=device))
        _WORKER_STATE.update(
            key=key,
            scorer=scorer,
            targets=scorer.encode_targets(sequences),
            featurizer=make_featurizer("drug", scorer.drug_featurizer_spec),
        )
    featurized = featurize_smiles(chunk.smiles, chunk.read_errors, _WORKER_STATE["featurizer"])
    scored = score_chunk(_WORKER_STATE["scorer"], _WORKER_STATE["targets"], chunk, featurized)
    return scored


class RayBackend:
    """``map(chunks)`` over Ray tasks, a bounded window in flight, results in library order."""

    def __init__(
        self,
        model: str,
        targets: list[Target],
        *,
        device: str = "cpu",
        address: str | None = None,
        workers: int | None = None,
    ) -> None:
        self.model, self.device, self.address, self.workers = model, device, address, workers
        self.sequences = [t.sequence for t in targets]

    def map(self, chunks: Iterator[LibraryChunk]) -> Iterator[ChunkScores]:
        try:
            import ray
        except ImportError:
            raise BiomedfmError(
                "the ray backend needs the ray extra: pip install 'biomedfm[ray]'"
            ) from None
        started_here = not ray.is_initialized()
        if started_here:
            ray.init(
                address=self.address,
                num_cpus=None if self.address else self.workers,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
        try:
            gpus = 0.25 if self.device.startswith("cuda") else 0
            task = ray.remote(num_cpus=1, num_gpus=gpus)(_score_remote)
            slots = max(2, 2 * int(ray.cluster_resources().get("CPU", 1)))
            window: deque[Any] = deque()
            for chunk in chunks:
                window.append(task.remote(self.model, self.device, self.sequences, chunk))
                if len(window) >= slots:
                    yield ray.get(window.popleft())
            while window:
                yield ray.get(window.popleft())
        finally:
            if started_here:
                ray.shutdown()
