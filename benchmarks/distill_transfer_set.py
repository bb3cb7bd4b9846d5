"""Write a transfer set for distilling a lite (``--set distill_transfer=PATH``).

The lite learns the main model's predictions on pairs of the dataset's drugs with other
proteins, and of other molecules with the dataset's proteins (``biomedfm.affinity.distill``).
Sources: the other DTA dataset's drugs and proteins, and a seeded sample of MOSES molecules.
Training itself drops whatever is (nearly) one of the dataset's own drugs or proteins, so this
script only gathers candidates. The output is derived from ``../shared/data``: write it outside
the repository or to an ignored folder (``.gpu/``), never into git.

Usage: python benchmarks/distill_transfer_set.py --dataset kiba [--moses 2000] \
         -o .gpu/transfer-kiba.csv
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from biomedfm.affinity.data import DATASETS
from biomedfm.config import resolve_data_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", choices=sorted(DATASETS), required=True)
    parser.add_argument("--moses", type=int, default=2000, help="MOSES molecules to sample")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    data = resolve_data_dir(args.data_dir)
    root = data / "dta"
    others = [name for name in sorted(DATASETS) if name != args.dataset]
    drugs = [pd.read_csv(root / name / "drugs.csv")["smiles"] for name in others]
    proteins = [pd.read_csv(root / name / "proteins.csv")["sequence"] for name in others]
    if args.moses:
        moses = pd.read_csv(data / "screening" / "moses_1.58M.csv.gz", usecols=["smiles"])
        drugs.append(moses["smiles"].sample(args.moses, random_state=args.seed))
    rows = [{"smiles": s, "sequence": ""} for s in pd.concat(drugs).drop_duplicates()]
    rows += [{"smiles": "", "sequence": s} for s in pd.concat(proteins).drop_duplicates()]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(args.output, index=False)
    n_drugs = sum(1 for row in rows if row["smiles"])
    print(f"{args.output}: {n_drugs} molecules, {len(rows) - n_drugs} proteins (before filtering)")


if __name__ == "__main__":
    main()
