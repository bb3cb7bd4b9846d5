"""AffinityModel: featurizers + ensemble network + target scaling + calibrated uncertainty.

Prediction deduplicates molecules and sequences first and encodes each once (late fusion), so a
library screened against one target costs one protein encoding, and a panel re-uses each
compound's encoding for every target.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field
from rdkit import Chem

from biomedfm.affinity.domain import ApplicabilityDomain
from biomedfm.affinity.kernel import KernelRegressor
from biomedfm.affinity.nn import AffinityNet, NetConfig, combine_members
from biomedfm.chem.featurizers import make_featurizer
from biomedfm.chem.molecules import to_mol
from biomedfm.chem.sequences import validate_sequence

Z90 = 1.6448536269514722
"""Standard-normal quantile of a central 90% interval: ``pred ± Z90·unc``."""


class ModelConfig(BaseModel):
    """Everything needed to rebuild a model from its directory (``config.json``)."""

    model_config = ConfigDict(extra="forbid")

    format_version: int = Field(1, description="Layout version of the model directory.")
    name: str = Field(description="Model name, e.g. 'davis' or a run name.")
    version: str = Field("", description="Release of a shipped model, e.g. 2026.11.")
    preset: str = Field(description="Training preset the model was made with (main or lite).")
    target: str = Field(description="Predicted quantity, used in pred_<target> / unc_<target>.")
    target_description: str = Field("", description="Unit and meaning of the target.")
    drug_featurizer: dict[str, Any] = Field(description="Drug featurizer name and parameters.")
    protein_featurizer: dict[str, Any] = Field(description="Protein featurizer spec.")
    net: NetConfig = Field(description="Network shape.")
    y_mean: float = Field(description="Training-label mean (network outputs are standardised).")
    y_std: float = Field(description="Training-label standard deviation.")
    sigma_scale: float = Field(
        1.0, description="Conformal factor making pred ± 1.645·unc a 90% interval."
    )
    training: dict[str, Any] = Field(
        default_factory=dict, description="Provenance: data hash, config hash, version, metrics."
    )
    target_sequence: str | None = Field(
        None,
        description=(
            "A single-target model (fine-tuned on one assay): the protein it knows, used for "
            "input rows without a sequence."
        ),
    )


class EmbeddingCache:
    """A bounded, thread-safe LRU of per-entity embeddings (M, embed_dim), keyed by text.

    For serving: targets and compounds repeat across requests, so their featurization and
    encoding are paid once. Off (size 0) by default, and during training, where the weights
    change under the cache.
    """

    def __init__(self) -> None:
        self.size = 0
        self._items: OrderedDict[str, torch.Tensor] = OrderedDict()
        self._lock = threading.Lock()

    def resize(self, size: int) -> None:
        with self._lock:
            self.size = size
            self._items.clear()

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def keys(self) -> set[str]:
        return set(self._items)

    def embed(self, keys: Sequence[str], encode: Any) -> torch.Tensor:
        """Embeddings (M, n, E) of distinct ``keys``; ``encode(missing keys)`` fills misses."""
        if not self.size:  # off: nothing kept, nothing locked
            return encode(keys)
        with self._lock:
            missing = [k for k in keys if k not in self._items]
            if missing:
                fresh = encode(missing)
                for i, key in enumerate(missing):
                    self._items[key] = fresh[:, i]
            for key in keys:
                self._items.move_to_end(key)
            embedding = torch.stack([self._items[k] for k in keys], dim=1)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return embedding


@dataclass
class Prediction:
    """Predicted target and its calibrated standard uncertainty, both (n,) in target units."""

    mean: np.ndarray
    sigma: np.ndarray

    @staticmethod
    def concat(parts: list[Prediction], empty_shape: tuple[int, ...] = (0,)) -> Prediction:
        """Batches of predictions in order, as one (``empty_shape`` when there are none)."""
        if not parts:
            return Prediction(np.empty(empty_shape), np.empty(empty_shape))
        return Prediction(
            np.concatenate([p.mean for p in parts]), np.concatenate([p.sigma for p in parts])
        )


class AffinityModel:
    """A trained affinity predictor (ensemble of M ≥ 1 members)."""

    def __init__(
        self,
        config: ModelConfig,
        net: AffinityNet,
        domain: ApplicabilityDomain | None = None,
        kernel: KernelRegressor | None = None,
    ) -> None:
        self.config = config
        self.net = net.eval()
        self.domain = domain  # what it was trained on; None for a model saved without one
        self.kernel = kernel  # a fine-tuned model's per-target Tanimoto SVRs (averaged in)
        self.protein_cache = EmbeddingCache()
        self.drug_cache = EmbeddingCache()
        self.drug_featurizer = make_featurizer("drug", config.drug_featurizer)
        self.protein_featurizer = make_featurizer("protein", config.protein_featurizer)

    @property
    def target(self) -> str:
        return self.config.target

    @property
    def device(self) -> torch.device:
        return next(self.net.parameters()).device

    def featurize_drugs(
        self, smiles: Sequence[str], mols: Mapping[str, Chem.Mol] | None = None
    ) -> np.ndarray:
        """Valid SMILES (n,) → drug features (n, drug_dim); ``mols`` holds ones already parsed."""
        parsed = mols or {}
        return np.asarray(
            self.drug_featurizer.featurize(
                [parsed[s] if s in parsed else to_mol(s) for s in smiles]
            )
        )

    def featurize_proteins(self, sequences: Sequence[str]) -> np.ndarray:
        """Valid sequences (n,) → protein features (n, protein_dim)."""
        return np.asarray(
            self.protein_featurizer.featurize([validate_sequence(s) for s in sequences])
        )

    def cache_proteins(self, size: int) -> None:
        """Keep the embeddings of the last ``size`` distinct sequences (0: off, the default)."""
        self.protein_cache.resize(size)

    def cache_drugs(self, size: int) -> None:
        """Keep the embeddings of the last ``size`` distinct SMILES (0: off, the default).

        A cached SMILES is neither parsed nor featurized again (it was valid when cached).
        """
        self.drug_cache.resize(size)

    def protein_embeddings(self, sequences: Sequence[str]) -> torch.Tensor:
        """Distinct valid sequences (n,) → embeddings (M, n, embed_dim), through the cache."""
        return self.protein_cache.embed(
            sequences, lambda missing: self.encode_proteins(self.featurize_proteins(missing))
        )

    def drug_embeddings(
        self, smiles: Sequence[str], mols: Mapping[str, Chem.Mol] | None = None
    ) -> torch.Tensor:
        """Distinct valid SMILES (n,) → embeddings (M, n, embed_dim), through the cache."""
        return self.drug_cache.embed(
            smiles, lambda missing: self.encode_drugs(self.featurize_drugs(missing, mols))
        )

    @torch.inference_mode()
    def encode_drugs(self, features: np.ndarray, batch_size: int = 8192) -> torch.Tensor:
        """Drug features (n, drug_dim) → embeddings (M, n, embed_dim)."""
        return self._encode(self.net.encode_drugs, features, batch_size)

    @torch.inference_mode()
    def encode_proteins(self, features: np.ndarray, batch_size: int = 1024) -> torch.Tensor:
        """Protein features (n, protein_dim) → embeddings (M, n, embed_dim)."""
        return self._encode(self.net.encode_proteins, features, batch_size)

    def _encode(self, encoder: Any, features: np.ndarray, batch_size: int) -> torch.Tensor:
        chunks = [
            encoder(torch.as_tensor(features[i : i + batch_size], device=self.device))
            for i in range(0, len(features), batch_size)
        ]
        if not chunks:
            m, e = self.config.net.n_members, self.config.net.embed_dim
            return torch.empty(m, 0, e, device=self.device)
        return torch.cat(chunks, dim=1)

    def _member_outputs(
        self,
        drug_embedding: torch.Tensor,
        protein_embedding: torch.Tensor,
        drug_index: np.ndarray,
        protein_index: np.ndarray,
        batch_size: int,
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Each member's standardised mean and log-variance, (M, batch) each, batch by batch."""
        with torch.inference_mode():
            for start in range(0, len(drug_index), batch_size):
                d = torch.as_tensor(drug_index[start : start + batch_size], device=self.device)
                p = torch.as_tensor(protein_index[start : start + batch_size], device=self.device)
                mean, log_var = self.net.score(drug_embedding[:, d], protein_embedding[:, p])
                yield mean.float(), log_var.float()

    def score_embeddings(
        self,
        drug_embedding: torch.Tensor,
        protein_embedding: torch.Tensor,
        drug_index: np.ndarray,
        protein_index: np.ndarray,
        batch_size: int = 8192,
    ) -> Prediction:
        """Score pairs given cached embeddings (M, n_drugs, E), (M, n_proteins, E).

        Args:
            drug_index: (n_pairs,) row of each pair's drug in ``drug_embedding``.
            protein_index: (n_pairs,) row of each pair's protein in ``protein_embedding``.
        """
        return Prediction.concat(
            [
                self._combine_members(mean, log_var)
                for mean, log_var in self._member_outputs(
                    drug_embedding, protein_embedding, drug_index, protein_index, batch_size
                )
            ]
        )

    def _combine_members(self, mean: torch.Tensor, log_var: torch.Tensor) -> Prediction:
        """Members' standardised outputs (M, ...) → ensemble mean and calibrated sigma."""
        ensemble, total_var = combine_members(mean, log_var, mean.shape[0])
        scale = self.config.y_std
        return Prediction(
            mean=ensemble.cpu().numpy().astype(np.float64) * scale + self.config.y_mean,
            sigma=total_var.sqrt().cpu().numpy().astype(np.float64)
            * scale
            * self.config.sigma_scale,
        )

    @torch.inference_mode()
    def score_grid(
        self, drug_embedding: torch.Tensor, protein_embedding: torch.Tensor, block: int = 0
    ) -> Prediction:
        """Every drug (M, n, E) against every protein (M, T, E) → mean and sigma (n, T).

        Screening's path: see :meth:`AffinityNet.score_grid`. Drugs go in blocks sized so the
        per-pair activations stay near 64 MB whatever the panel size.
        """
        m, n = drug_embedding.shape[0], drug_embedding.shape[1]
        t = protein_embedding.shape[1]
        width = max(self.config.net.embed_dim, *(self.config.net.head_hidden or [1]))
        block = block or max(1, 16_000_000 // (m * t * width))
        parts = []
        for start in range(0, n, block):
            mean, log_var = self.net.score_grid(
                drug_embedding[:, start : start + block], protein_embedding
            )
            parts.append(self._combine_members(mean.float(), log_var.float()))
        return Prediction.concat(parts, empty_shape=(0, t))

    def _embed_pairs(
        self,
        smiles: Sequence[str],
        sequences: Sequence[str],
        mols: Mapping[str, Chem.Mol] | None,
    ) -> tuple[torch.Tensor, torch.Tensor, np.ndarray, np.ndarray]:
        """Encode each distinct molecule and sequence once; return the embeddings and indexes."""
        drug_keys, drug_index = np.unique(np.asarray(smiles, dtype=object), return_inverse=True)
        protein_keys, protein_index = np.unique(
            np.asarray(sequences, dtype=object), return_inverse=True
        )
        drug_embedding = self.drug_embeddings(list(drug_keys), mols)
        protein_embedding = self.protein_embeddings(list(protein_keys))
        return drug_embedding, protein_embedding, drug_index, protein_index

    def predict(
        self,
        smiles: Sequence[str],
        sequences: Sequence[str],
        batch_size: int = 8192,
        mols: Mapping[str, Chem.Mol] | None = None,
    ) -> Prediction:
        """Predict valid (SMILES, sequence) pairs; each distinct entity is encoded once.

        Args:
            mols: molecules already parsed by the caller, keyed by SMILES (skips re-parsing).

        Invalid input raises :class:`biomedfm.errors.InputError`; use
        :func:`biomedfm.affinity.predict.predict_frame` to keep going past bad rows. A
        fine-tuned model's mean is the average of its ensemble and its kernel regressor
        (:mod:`biomedfm.affinity.kernel`) for the targets it has one for.
        """
        prediction = self.score_embeddings(*self._embed_pairs(smiles, sequences, mols), batch_size)
        if self.kernel is not None and self.kernel.targets:
            parsed = mols or {}
            prediction.mean = self.kernel.blend(
                prediction.mean, [parsed.get(s) or to_mol(s) for s in smiles], sequences
            )
        return prediction

    def sigma_parts(
        self, smiles: Sequence[str], sequences: Sequence[str], batch_size: int = 8192
    ) -> tuple[np.ndarray, np.ndarray]:
        """The two parts of each pair's ensemble sigma, (n,) each in target units and
        calibrated as :meth:`predict`'s: the noise the members predict (aleatoric) and their
        disagreement (epistemic). For finding which part a miscalibrated interval lacks."""
        outputs = list(
            self._member_outputs(*self._embed_pairs(smiles, sequences, None), batch_size)
        )
        if not outputs:
            return np.empty(0), np.empty(0)
        means = torch.cat([mean for mean, _ in outputs], dim=1)
        log_vars = torch.cat([log_var for _, log_var in outputs], dim=1)
        unit = self.config.y_std * self.config.sigma_scale
        aleatoric = log_vars.exp().mean(0).sqrt().cpu().numpy().astype(np.float64) * unit
        disagreement = means.var(0, unbiased=False).sqrt().cpu().numpy().astype(np.float64) * unit
        return aleatoric, disagreement

    def member_means(
        self,
        drugs: Sequence[str],
        proteins: Sequence[str],
        drug_index: np.ndarray,
        protein_index: np.ndarray,
        batch_size: int = 8192,
    ) -> np.ndarray:
        """Each member's prediction, (M, n) in target units, for pairs given as rows into the
        distinct ``drugs`` and ``proteins`` (for distillation: the trainer already holds its
        pairs that way, so a million transfer pairs are not de-duplicated again)."""
        outputs = [
            mean.cpu().numpy()
            for mean, _ in self._member_outputs(
                self.drug_embeddings(list(drugs)),
                self.protein_embeddings(list(proteins)),
                drug_index,
                protein_index,
                batch_size,
            )
        ]
        if not outputs:
            return np.empty((self.config.net.n_members, 0))
        return np.concatenate(outputs, axis=1) * self.config.y_std + self.config.y_mean
