"""Virtual screening: a compound library against one target or a panel, streamed and resumable.

``run`` holds the run itself (chunks, top-K, resume state, outputs); ``targets`` reads the
panel; ``featurize`` runs in worker processes; ``scoring`` is what a model must provide (PyTorch
here, ONNX in :mod:`biomedfm.affinity.onnx_export`); ``local`` and ``ray_backend`` move chunks
through featurization and scoring; ``backends`` picks them from CLI options.
"""

from biomedfm.affinity.screening.featurize import (
    Featurized,
    featurize_smiles,
    init_featurizer_worker,
)
from biomedfm.affinity.screening.local import LocalBackend
from biomedfm.affinity.screening.run import (
    STATE_DIR_SUFFIX,
    Screen,
    ScreenSettings,
    ScreenSummary,
    TopK,
)
from biomedfm.affinity.screening.scoring import ChunkScores, Scorer, TorchScorer, score_chunk
from biomedfm.affinity.screening.targets import Target, read_targets

__all__ = [
    "STATE_DIR_SUFFIX",
    "ChunkScores",
    "Featurized",
    "LocalBackend",
    "Scorer",
    "Screen",
    "ScreenSettings",
    "ScreenSummary",
    "Target",
    "TopK",
    "TorchScorer",
    "featurize_smiles",
    "init_featurizer_worker",
    "read_targets",
    "score_chunk",
]
