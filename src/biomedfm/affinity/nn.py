"""The affinity network: an ensemble of late-fusion towers trained side by side.

Every weight carries a leading *member* dimension M, so a deep ensemble of M networks is one
module: one batched matmul per layer instead of M small ones, which is what makes the ensemble
cheap to train on a GPU and to run on a CPU. M = 1 is a plain network (the lite model).

Late fusion: drugs and proteins are encoded separately (``encode_drugs``/``encode_proteins``),
then ``score`` combines the two embeddings. Encodings can therefore be cached per molecule and
per protein, which is what makes screening one target against millions of compounds fast.
"""

from __future__ import annotations

import itertools
import math

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn


class NetConfig(BaseModel):
    """Shape of the network; stored in every model's ``config.json``."""

    model_config = ConfigDict(extra="forbid")

    n_members: int = Field(5, ge=1, description="Ensemble members trained side by side.")
    drug_dim: int = Field(2048, ge=1, description="Length of the drug feature vector.")
    protein_dim: int = Field(8420, ge=1, description="Length of the protein feature vector.")
    tower_hidden: int = Field(512, ge=1, description="Hidden width of each encoder tower.")
    embed_dim: int = Field(512, ge=1, description="Width of the drug and protein embeddings.")
    head_hidden: list[int] = Field(
        default_factory=lambda: [1024, 512], description="Hidden widths of the fusion head."
    )
    dropout: float = Field(0.3, ge=0.0, lt=1.0, description="Dropout rate in towers and head.")


def combine_members(
    mean: torch.Tensor, log_var: torch.Tensor, n_members: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Members' outputs (M, ...) → ensemble mean and total variance (standardised units).

    Total variance = the members' mean predicted variance + their disagreement. ``n_members``
    is passed as a number, not read from the shape, so ONNX export traces no branch on it.
    """
    total = log_var.exp().mean(dim=0)
    if n_members > 1:
        total = total + mean.var(dim=0, unbiased=False)
    return mean.mean(dim=0), total


class MemberLinear(nn.Module):
    """A linear layer with one weight matrix per ensemble member.

    Input (N, in) is shared by all members; input (M, N, in) gives each member its own rows.
    Output is (M, N, out).
    """

    def __init__(self, n_members: int, in_features: int, out_features: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_members, in_features, out_features))
        self.bias = nn.Parameter(torch.zeros(n_members, 1, out_features))
        bound = 1.0 / math.sqrt(in_features)
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.matmul(x, self.weight) + self.bias


def _mlp(n_members: int, widths: list[int], dropout: float, last_activation: bool) -> nn.Sequential:
    layers: list[nn.Module] = []
    for index, (width_in, width_out) in enumerate(itertools.pairwise(widths)):
        layers.append(MemberLinear(n_members, width_in, width_out))
        is_last = index == len(widths) - 2
        if not is_last or last_activation:
            layers.append(nn.GELU())
            layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


class AffinityNet(nn.Module):
    """Ensemble late-fusion regressor with a mean and a log-variance output per member.

    Outputs are in standardised target units; :class:`biomedfm.affinity.model.AffinityModel`
    holds the scaling back to pKd / KIBA score.
    """

    def __init__(self, config: NetConfig) -> None:
        super().__init__()
        self.config = config
        m, e = config.n_members, config.embed_dim
        self.drug_tower = _mlp(
            m, [config.drug_dim, config.tower_hidden, e], config.dropout, last_activation=False
        )
        self.protein_tower = _mlp(
            m, [config.protein_dim, config.tower_hidden, e], config.dropout, last_activation=False
        )
        self.head = _mlp(m, [3 * e, *config.head_hidden], config.dropout, last_activation=True)
        self.output = MemberLinear(m, config.head_hidden[-1] if config.head_hidden else 3 * e, 2)

    def encode_drugs(self, features: torch.Tensor) -> torch.Tensor:
        """Drug features (N, drug_dim) or (M, N, drug_dim) → embeddings (M, N, embed_dim)."""
        return self.drug_tower(features)

    def encode_proteins(self, features: torch.Tensor) -> torch.Tensor:
        """Protein features (N, protein_dim) or (M, N, ·) → embeddings (M, N, embed_dim)."""
        return self.protein_tower(features)

    def score(
        self, drug_embedding: torch.Tensor, protein_embedding: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Fuse paired embeddings (M, B, embed_dim) each → mean and log-variance, (M, B) each."""
        fused = torch.cat(
            [drug_embedding, protein_embedding, drug_embedding * protein_embedding], dim=-1
        )
        out = self.output(self.head(fused))
        return out[..., 0], out[..., 1].clamp(-12.0, 6.0)

    def score_grid(
        self, drug_embedding: torch.Tensor, protein_embedding: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Every drug against every protein: (M, n, E) × (M, T, E) → (M, n, T) mean, log-var.

        Same function as :meth:`score` on all n·T pairs, but the fusion layer's drug and
        protein parts are computed once per entity; only the ``drug * protein`` part is per
        pair. That cuts the first head layer's per-pair cost by two thirds, which is what an
        extra target in a screening panel costs.
        """
        e = self.config.embed_dim
        first = self.head[0] if self.config.head_hidden else self.output
        assert isinstance(first, MemberLinear)
        weight, bias = first.weight, first.bias
        m, n, t = drug_embedding.shape[0], drug_embedding.shape[1], protein_embedding.shape[1]
        drug_part = torch.matmul(drug_embedding, weight[:, :e])  # (M, n, H)
        protein_part = torch.matmul(protein_embedding, weight[:, e : 2 * e]) + bias  # (M, T, H)
        product = (drug_embedding[:, :, None, :] * protein_embedding[:, None, :, :]).reshape(
            m, n * t, e
        )
        pre = torch.matmul(product, weight[:, 2 * e :]).reshape(m, n, t, -1)
        pre = pre + drug_part[:, :, None, :] + protein_part[:, None, :, :]
        if self.config.head_hidden:
            hidden = self.head[1:](pre.reshape(m, n * t, -1))
            out = self.output(hidden)
        else:
            out = pre.reshape(m, n * t, -1)
        out = out.reshape(m, n, t, 2)
        return out[..., 0], out[..., 1].clamp(-12.0, 6.0)

    def forward(
        self, drug_features: torch.Tensor, protein_features: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Paired features, (B, ·) or (M, B, ·) → mean and log-variance, (M, B) each."""
        return self.score(self.encode_drugs(drug_features), self.encode_proteins(protein_features))
