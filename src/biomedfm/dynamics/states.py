"""Representative states of an ensemble: clusters by C-alpha RMSD, with populations."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

from biomedfm.dynamics.ensemble import rmsd
from biomedfm.errors import InputError


@dataclass
class State:
    """One cluster: its medoid conformer (0-based index), population share and spread."""

    representative: int
    population: float
    members: list[int]
    mean_rmsd_to_representative: float


def rmsd_matrix(conformers: list[np.ndarray]) -> np.ndarray:
    """Pairwise superposed C-alpha RMSD (m, m)."""
    m = len(conformers)
    out = np.zeros((m, m))
    for i in range(m):
        for j in range(i + 1, m):
            out[i, j] = out[j, i] = rmsd(conformers[i], conformers[j])
    return out


def cluster_states(conformers: list[np.ndarray], k: int) -> list[State]:
    """``k`` states by average-linkage clustering on RMSD, most populated first.

    Raises:
        InputError: fewer conformers than states.
    """
    if k < 1 or len(conformers) < k:
        raise InputError(f"cannot make {k} state(s) from {len(conformers)} conformer(s)")
    distances = rmsd_matrix(conformers)
    if k == 1 or len(conformers) == 1:
        labels = np.ones(len(conformers), dtype=int)
    else:
        tree = linkage(squareform(distances, checks=False), method="average")
        labels = fcluster(tree, t=k, criterion="maxclust")
    states = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        within = distances[np.ix_(members, members)]
        medoid = int(members[np.argmin(within.sum(axis=1))])
        states.append(
            State(
                representative=medoid,
                population=round(len(members) / len(conformers), 4),
                members=[int(i) for i in members],
                mean_rmsd_to_representative=round(float(distances[medoid, members].mean()), 3),
            )
        )
    return sorted(states, key=lambda s: -s.population)
