"""Conformer ensembles that reach a protein's other states, not just its thermal wobble.

Each conformer follows a random combination of the slowest ANM modes (weighted by 1/√λ, so the
softest collective motions dominate) out to its own target RMSD, spread from small to large; the
modes are recomputed along the way (mode following), so a path can bend the way the deformed
structure now moves, as domain closures and pocket openings do. After every step a steric
relaxation restores C-alpha bonds (3.8 Å), keeps pseudo-angles physical (i→i+2 distance) and
pushes apart any C-alpha pair closer than 3.6 Å. Twice as many paths as conformers are made and
the most mutually distant ones are kept (greedy farthest-point selection within each shell of
distance from the start, so small rearrangements are covered as well as large ones). The plain
ANM sampler used as the benchmark baseline is here too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from biomedfm.dynamics.modes import Modes, anm
from biomedfm.dynamics.structure_io import Structure
from biomedfm.errors import InputError

MIN_CA_DISTANCE = 3.0
"""Conformers never hold two C-alpha atoms closer than this (Å)."""


@dataclass
class EnsembleConfig:
    conformers: int = 50
    modes: int = 10
    oversample: float = 2.0  # paths made per conformer kept
    step_angstrom: float = 0.75  # RMSD travelled per step
    refresh_angstrom: float = 2.0  # modes recomputed after this much travel
    max_rmsd: float | None = None  # default: 0.35 × radius of gyration, within [2, 8] Å
    cutoff: float = 15.0
    seed: int = 0


def bonded_pairs(structure: Structure) -> np.ndarray:
    """(m, 2) consecutive residues of one chain that are covalently bonded (CA–CA < 4.3 Å)."""
    ca = structure.ca
    same_chain = np.asarray(structure.chains[1:]) == np.asarray(structure.chains[:-1])
    close = np.linalg.norm(ca[1:] - ca[:-1], axis=1) < 4.3
    first = np.flatnonzero(same_chain & close)
    return np.column_stack([first, first + 1])


class _Relaxer:
    """Projects C-alpha positions back onto bonds, pseudo-angles and minimum distances."""

    def __init__(self, structure: Structure) -> None:
        ca = structure.ca
        self.bonds = bonded_pairs(structure)
        self.bond_length = np.linalg.norm(ca[self.bonds[:, 1]] - ca[self.bonds[:, 0]], axis=1)
        nxt = {int(i): int(j) for i, j in self.bonds}
        self.angles = np.array(
            [(i, nxt[j]) for i, j in nxt.items() if j in nxt], dtype=int
        ).reshape(-1, 2)
        self.excluded = {(int(i), int(j)) for i, j in self.bonds}
        self.excluded |= {(int(i), int(j)) for i, j in self.angles}

    @staticmethod
    def _move(ca: np.ndarray, pairs: np.ndarray, target: np.ndarray, only: str) -> None:
        if not len(pairs):
            return
        delta = ca[pairs[:, 1]] - ca[pairs[:, 0]]
        distance = np.linalg.norm(delta, axis=1)
        if only == "below":
            error = np.minimum(distance - target, 0.0)
        elif only == "above":
            error = np.maximum(distance - target, 0.0)
        else:
            error = distance - target
        shift = (0.5 * error / np.maximum(distance, 1e-9))[:, None] * delta
        np.add.at(ca, pairs[:, 0], shift)
        np.add.at(ca, pairs[:, 1], -shift)

    def __call__(self, ca: np.ndarray, rounds: int = 12) -> np.ndarray:
        ca = ca.copy()
        for _ in range(rounds):
            self._move(ca, self.bonds, self.bond_length, "both")
            self._move(ca, self.angles, np.full(len(self.angles), 5.0), "below")
            self._move(ca, self.angles, np.full(len(self.angles), 7.3), "above")
            pairs = cKDTree(ca).query_pairs(3.6, output_type="ndarray")
            if len(pairs):
                keep = np.array([(int(i), int(j)) not in self.excluded for i, j in pairs])
                pairs = pairs[keep] if len(keep) else pairs
                self._move(ca, pairs, np.full(len(pairs), 3.6), "below")
        return ca


def rmsd(a: np.ndarray, b: np.ndarray, superpose: bool = True) -> float:
    """C-alpha RMSD (Å) between (n, 3) arrays, after optimal superposition (Kabsch)."""
    if not superpose:
        return float(np.sqrt(((a - b) ** 2).sum(axis=1).mean()))
    a0, b0 = a - a.mean(axis=0), b - b.mean(axis=0)
    u, s, vt = np.linalg.svd(a0.T @ b0)
    sign = np.sign(np.linalg.det(u @ vt))
    s[-1] *= sign
    squared = (a0**2).sum() + (b0**2).sum() - 2 * s.sum()
    return float(np.sqrt(max(squared, 0.0) / len(a)))


def _direction(modes: Modes, weights: np.ndarray, n: int) -> np.ndarray:
    displacement = (modes.vectors[:, : len(weights)] @ weights).reshape(n, 3)
    return displacement / np.sqrt((displacement**2).sum(axis=1).mean())


def _follow(
    start: np.ndarray,
    target_rmsd: float,
    weights: np.ndarray,
    first_modes: Modes,
    relax: _Relaxer,
    config: EnsembleConfig,
) -> np.ndarray:
    n = len(start)
    modes, ca = first_modes, start.copy()
    direction = _direction(modes, weights, n)
    travelled = since_refresh = 0.0
    while travelled < target_rmsd:
        step = min(config.step_angstrom, target_rmsd - travelled)
        before = ca
        ca = relax(ca + step * direction)
        travelled += step
        since_refresh += step
        if since_refresh >= config.refresh_angstrom and travelled < target_rmsd:
            moved = (ca - before).ravel()
            modes = anm(ca, config.cutoff, n_modes=config.modes)
            weights = modes.vectors.T @ moved  # keep going the way the structure now moves
            if not np.any(weights):
                break
            direction = _direction(modes, weights, n)
            since_refresh = 0.0
    return ca


def _farthest_points(candidates: list[np.ndarray], keep: int) -> list[int]:
    """Greedy max-min selection: each pick is the candidate farthest from those already kept."""
    chosen = [int(np.argmax([rmsd(c, candidates[0], superpose=False) for c in candidates]))]
    nearest = np.array([rmsd(c, candidates[chosen[0]], superpose=False) for c in candidates])
    while len(chosen) < min(keep, len(candidates)):
        pick = int(np.argmax(nearest))
        chosen.append(pick)
        nearest = np.minimum(
            nearest, [rmsd(c, candidates[pick], superpose=False) for c in candidates]
        )
    return chosen


def _select(candidates: list[np.ndarray], targets: np.ndarray, keep: int) -> list[int]:
    """Diverse *and* spread in distance: farthest points within each shell of target RMSD.

    Plain farthest-point selection keeps only the extremes; small rearrangements (a pocket
    opening, a loop flip) live close to the start, so every distance shell keeps its share.
    """
    shells = np.array_split(np.argsort(targets), max(1, min(5, keep)))
    quota = np.full(len(shells), keep // len(shells))
    quota[: keep - quota.sum()] += 1
    chosen: list[int] = []
    for shell, count in zip(shells, quota, strict=True):
        members = [int(i) for i in shell]
        picked = _farthest_points([candidates[i] for i in members], int(count))
        chosen.extend(members[i] for i in picked)
    return chosen


def _max_rmsd(ca: np.ndarray, config: EnsembleConfig) -> float:
    if config.max_rmsd is not None:
        return config.max_rmsd
    gyration = float(np.sqrt(((ca - ca.mean(axis=0)) ** 2).sum(axis=1).mean()))
    return float(np.clip(0.35 * gyration, 2.0, 8.0))


def generate_ensemble(
    structure: Structure,
    config: EnsembleConfig | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[np.ndarray]:
    """C-alpha positions (n, 3) of ``config.conformers`` diverse, relaxed conformers.

    Raises:
        InputError: fewer than 10 residues.
    """
    config = config or EnsembleConfig()
    start = structure.ca
    if len(start) < 10:
        raise InputError(f"{structure.name} has {len(start)} residues; ensembles need 10 or more")
    rng = np.random.default_rng(config.seed)
    modes = anm(start, config.cutoff, n_modes=config.modes)
    relax = _Relaxer(structure)
    reach = _max_rmsd(start, config)
    paths = max(config.conformers, round(config.conformers * config.oversample))
    targets = np.linspace(0.5, reach, paths)
    rng.shuffle(targets)
    candidates = []
    for done, target in enumerate(targets, start=1):
        weights = rng.normal(size=len(modes.values)) / np.sqrt(modes.values)
        candidates.append(_follow(start, float(target), weights, modes, relax, config))
        if progress:
            progress(done, paths)
    return [candidates[i] for i in _select(candidates, targets, config.conformers)]


def anm_sampler(
    structure: Structure, conformers: int = 50, modes: int = 10, scale: float = 1.5, seed: int = 0
) -> list[np.ndarray]:
    """Baseline: thermal sampling along the lowest ANM modes (amplitudes ~ N(0, 1/λ)).

    ``scale`` sets the mean RMSD from the start (Å); no relaxation, no mode following.
    """
    rng = np.random.default_rng(seed)
    result = anm(structure.ca, 15.0, n_modes=modes)
    n = len(structure.ca)
    out = []
    for _ in range(conformers):
        weights = rng.normal(size=len(result.values)) / np.sqrt(result.values)
        displacement = (result.vectors @ weights).reshape(n, 3)
        thermal = np.sqrt((displacement**2).sum(axis=1).mean())
        out.append(structure.ca + displacement * scale / max(thermal, 1e-9) * rng.uniform(0.5, 1.5))
    return out


def _local_frames(ca: np.ndarray) -> np.ndarray:
    """(n, 3, 3) orthonormal frames from each C-alpha and its neighbours (ends: next frame in)."""
    before, here, after = ca[:-2], ca[1:-1], ca[2:]
    e1 = after - before
    e1 /= np.maximum(np.linalg.norm(e1, axis=1, keepdims=True), 1e-9)
    bisector = (here - before) - (after - here)
    e2 = bisector - (bisector * e1).sum(axis=1, keepdims=True) * e1
    norm = np.linalg.norm(e2, axis=1, keepdims=True)
    fallback = np.cross(e1, np.array([0.0, 0.0, 1.0]))  # a straight stretch: any normal will do
    e2 = np.where(norm > 1e-6, e2 / np.maximum(norm, 1e-9), fallback)
    e2 /= np.maximum(np.linalg.norm(e2, axis=1, keepdims=True), 1e-9)
    frames = np.stack([e1, e2, np.cross(e1, e2)], axis=2)
    return np.concatenate([frames[:1], frames, frames[-1:]])


def carry_backbone(structure: Structure, ca: np.ndarray) -> dict[str, np.ndarray]:
    """Backbone atoms of a conformer: N, C and O keep their place in their residue's local frame.

    Each residue's frame (from its C-alpha and the neighbouring C-alphas) is rotated the way the
    conformer rotated it, so peptide geometry follows the trace instead of being dragged along.
    """
    old, new = _local_frames(structure.ca), _local_frames(ca)
    rotation = new @ np.transpose(old, (0, 2, 1))  # (n, 3, 3)
    out = {"CA": ca}
    for atom, positions in structure.backbone.items():
        if atom == "CA":
            continue
        offset = positions - structure.ca
        out[atom] = ca + np.einsum("nij,nj->ni", rotation, offset)
    return out


def check_conformer(structure: Structure, ca: np.ndarray) -> dict[str, float]:
    """Plausibility: closest non-bonded C-alpha pair and the worst bonded C-alpha distance."""
    bonds = bonded_pairs(structure)
    bonded = {(int(i), int(j)) for i, j in bonds}
    pairs = cKDTree(ca).query_pairs(4.5, output_type="ndarray")
    nonbonded = [np.linalg.norm(ca[i] - ca[j]) for i, j in pairs if (int(i), int(j)) not in bonded]
    lengths = np.linalg.norm(ca[bonds[:, 1]] - ca[bonds[:, 0]], axis=1) if len(bonds) else []
    return {
        "min_nonbonded_ca": float(min(nonbonded)) if nonbonded else float("inf"),
        "max_bond_deviation": float(np.max(np.abs(np.asarray(lengths) - 3.8)))
        if len(lengths)
        else 0.0,
    }
