"""How many of each MoleculeACE assay's compounds a pretrained base has already seen.

``affinity finetune --from kiba`` starts from a network trained on KIBA, whose drugs are ChEMBL
kinase inhibitors measured on kinases. Where a MoleculeACE kinase assay shares compounds with
KIBA, the base has seen those molecules against that kind of target before the assay's train
split: its fine-tuning gain there is partly recall, not transfer. The non-kinase assays share
none, so their mean is the clean comparison with an SVM trained on the split alone.

Compounds are matched by RDKit canonical SMILES. Davis is reported the same way.

Usage: python benchmarks/affinity_pretraining_overlap.py [--data-dir ../shared/data] [--out FILE]
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
from typing import Any

import pandas as pd
from rdkit import Chem, RDLogger

from _report import emit_report  # benchmarks/ is the script's own directory
from biomedfm.config import resolve_data_dir


def canonical(smiles: str) -> str | None:
    mol = Chem.MolFromSmiles(smiles)
    return Chem.MolToSmiles(mol) if mol is not None else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    RDLogger.DisableLog("rdApp.*")  # type: ignore[attr-defined]
    data = resolve_data_dir(args.data_dir)
    bases = {
        name: {canonical(s) for s in pd.read_csv(data / "dta" / name / "drugs.csv")["smiles"]}
        for name in ("kiba", "davis")
    }
    with (data / "moleculeace" / "targets.csv").open(newline="") as handle:
        targets = list(csv.DictReader(handle))
    rows: list[dict[str, Any]] = []
    for target in targets:
        assay = pd.read_csv(data / "moleculeace" / f"{target['dataset']}_train.csv")
        compounds = [canonical(s) for s in assay["smiles"]]
        rows.append(
            {
                "dataset": target["dataset"],
                "class": target["target_class"],
                "compounds": len(compounds),
                **{
                    f"in_{name}": round(sum(c in seen for c in compounds) / len(compounds), 3)
                    for name, seen in bases.items()
                },
            }
        )
    kinase = [r for r in rows if r["class"] == "Kinase"]
    other = [r for r in rows if r["class"] != "Kinase"]
    report = {
        "matched_by": "RDKit canonical SMILES, train splits",
        "kinase_assays": len(kinase),
        "kinase_assays_sharing_compounds_with_kiba": sum(r["in_kiba"] > 0 for r in kinase),
        "non_kinase_assays_sharing_compounds_with_kiba": sum(r["in_kiba"] > 0 for r in other),
        "per_dataset": rows,
    }
    emit_report(report, args.out)


if __name__ == "__main__":
    main()
