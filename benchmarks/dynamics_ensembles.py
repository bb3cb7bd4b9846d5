"""Do the ensembles reach the other state? bioemu-benchmarks multi-state references.

For each pair (state 1, state 2) of every set: 50 conformers from state 1 with
`generate_ensemble`; best superposed C-alpha RMSD to state 2 (on the residues both files have)
against the start RMSD: recovery = 1 − best / start. The same for the plain ANM sampler (10
lowest modes, random thermal amplitudes, 50 conformers), scaled to the same mean RMSD from the
start as our ensemble (same distance budget), in the same run. Also: how far the ensembles stay
from state 1, and wall time per protein. No parameter was tuned on these pairs.

Usage: python benchmarks/dynamics_ensembles.py [--data-dir ../shared/data] [--limit N]
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import time
from pathlib import Path

import numpy as np

from biomedfm.config import resolve_data_dir
from biomedfm.dynamics.ensemble import anm_sampler, check_conformer, generate_ensemble, rmsd
from biomedfm.dynamics.structure_io import read_structure
from biomedfm.errors import InputError

SETS = ("domainmotion", "crypticpocket", "localunfolding", "ood60", "oodval")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=None, help="Pairs per set.")
    parser.add_argument("--sets", default=",".join(SETS), help="Comma-separated set names.")
    args = parser.parse_args()
    root = resolve_data_dir(args.data_dir) / "dynamics" / "multistate"
    summary = {}
    for name in args.sets.split(","):
        rows = list(csv.DictReader((root / name / "references.csv").open()))[: args.limit]
        if rows and "pdbidchain_j" not in rows[0]:
            # one reference state per case (local unfolding): nothing to reach, skip the set
            print(json.dumps({name: "skipped: one reference state per case"}), flush=True)
            continue
        ours, baseline, spread, seconds, clashes = [], [], [], [], []
        for row in rows:
            folder = root / name / "reference" / row["test_case"]
            files = {p.stem.lower(): p for p in folder.glob("*.pdb")}  # ids differ in case
            try:
                first = read_structure(files[row["pdbidchain_i"].lower()])
                second = read_structure(files[row["pdbidchain_j"].lower()])
            except (InputError, KeyError):
                continue
            index_b = {r: i for i, r in enumerate(second.resnums)}
            common = [i for i, r in enumerate(first.resnums) if r in index_b]
            if len(common) < 20 or len(first) < 10:
                continue
            other = [index_b[first.resnums[i]] for i in common]
            start = rmsd(first.ca[common], second.ca[other])
            if start < 0.5:
                continue
            started = time.perf_counter()
            ensemble = generate_ensemble(first)
            seconds.append(time.perf_counter() - started)
            distance = float(np.mean([rmsd(c, first.ca) for c in ensemble]))
            plain = anm_sampler(first, len(ensemble), scale=distance)
            best = min(rmsd(c[common], second.ca[other]) for c in ensemble)
            best_plain = min(rmsd(c[common], second.ca[other]) for c in plain)
            ours.append(1 - best / start)
            baseline.append(1 - best_plain / start)
            spread.append(distance)
            clashes.append(min(check_conformer(first, c)["min_nonbonded_ca"] for c in ensemble))
        summary[name] = {
            "pairs": len(ours),
            "mean_recovery": round(float(np.mean(ours)), 3) if ours else None,
            "anm_sampler_mean_recovery": round(float(np.mean(baseline)), 3) if ours else None,
            "pairs_better_than_anm": int(sum(o > b for o, b in zip(ours, baseline, strict=True))),
            "mean_rmsd_from_state1": round(float(np.mean(spread)), 2) if ours else None,
            "min_nonbonded_ca": round(float(min(clashes)), 2) if ours else None,
            "median_seconds": round(statistics.median(seconds), 1) if ours else None,
        }
        print(json.dumps({name: summary[name]}), flush=True)
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
