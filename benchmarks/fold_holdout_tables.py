"""Split a benchmark's training table into "the other folds" and "validation fold K" as CSVs.

Why: the shipped models are made by a procedure (main CV + refit, then a lite distilled from
the refit ensemble) that the per-member CV numbers do not score. Running the same procedure on
the other folds (``train.csv``, which keeps its ``fold`` column so `affinity train` uses the
given folds) and scoring the result on fold K (``holdout.csv``) with `affinity evaluate`
measures the procedure itself, on a validation fold only.

Usage: python benchmarks/fold_holdout_tables.py --dataset kiba --fold 0 --out-dir DIR
Write DIR outside git (e.g. /tmp or the ignored .gpu/): the tables are derived from the data.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from biomedfm.affinity.data import DATASETS, read_dta_dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", choices=sorted(DATASETS), required=True)
    parser.add_argument("--fold", type=int, default=0)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--out-dir", type=Path, required=True)
    args = parser.parse_args()
    frame = read_dta_dataset(args.dataset, args.data_dir)
    columns = ["smiles", "sequence", "affinity", "fold"]
    held = frame["fold"] == args.fold
    if not held.any():
        parser.error(f"{args.dataset} has no fold {args.fold}")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    frame.loc[~held, columns].to_csv(args.out_dir / "train.csv", index=False)
    frame.loc[held, columns[:3]].to_csv(args.out_dir / "holdout.csv", index=False)
    print(f"{args.out_dir}: train.csv {int((~held).sum())} pairs, holdout.csv {int(held.sum())}")


if __name__ == "__main__":
    main()
