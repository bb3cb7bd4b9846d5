"""Speed of flexibility and of a 50-conformer ensemble against protein size (2 CPU cores).

Sizes above the largest benchmark protein are made by placing copies of it side by side as
separate chains (a realistic complex for the elastic network: same density, more nodes).

Usage: python benchmarks/dynamics_speed.py [--data-dir ../shared/data] [--sizes 300,1000,3000]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from biomedfm.config import resolve_data_dir
from biomedfm.dynamics.ensemble import generate_ensemble
from biomedfm.dynamics.flexibility import load_flexibility_model, predict_flexibility
from biomedfm.dynamics.structure_io import Structure, read_structure


def of_size(source: Structure, n: int) -> Structure:
    """The first ``n`` residues of copies of ``source`` laid out on a grid, one chain each."""
    span = np.ptp(source.ca, axis=0).max() + 12.0
    copies = int(np.ceil(n / len(source)))
    side = int(np.ceil(copies ** (1 / 3)))
    ca, chains, resnums, names = [], [], [], []
    for c in range(copies):
        offset = span * np.array([c % side, (c // side) % side, c // side**2])
        ca.append(source.ca + offset)
        chains += [chr(65 + c % 26) + str(c // 26)] * len(source)
        resnums += source.resnums
        names += source.resnames
    xyz = np.vstack(ca)[:n]
    return Structure(chains[:n], resnums[:n], [""] * n, names[:n], xyz, np.zeros(n), {"CA": xyz})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--sizes", default="100,300,1000,3000")
    args = parser.parse_args()
    folder = resolve_data_dir(args.data_dir) / "dynamics" / "bfactor"
    largest = max((read_structure(p) for p in sorted(folder.glob("*.pdb"))), key=len)
    model = load_flexibility_model()
    predict_flexibility(of_size(largest, 50), model)  # warm up imports
    for n in (int(s) for s in args.sizes.split(",")):
        structure = of_size(largest, n)
        started = time.perf_counter()
        predict_flexibility(structure, model)
        flexibility_s = time.perf_counter() - started
        started = time.perf_counter()
        generate_ensemble(structure)
        ensemble_s = time.perf_counter() - started
        print(
            json.dumps(
                {
                    "residues": n,
                    "flexibility_s": round(flexibility_s, 3),
                    "ensemble_50_s": round(ensemble_s, 2),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
