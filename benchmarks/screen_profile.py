"""Where screening time goes: the model alone vs featurization alone (same worker count).

Model alone: features of 50,000 library compounds precomputed, then encode + score against one
target in chunks (what ``affinity screen`` does per chunk). Featurization alone: the same
process pool ``affinity screen`` uses, on 100,000 compounds. The smaller rate bounds the
end-to-end rate.

Usage: python benchmarks/screen_profile.py LIBRARY.csv.gz [--device cuda] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor

import pandas as pd
import torch

from biomedfm.affinity.io import load_model
from biomedfm.affinity.screening import TorchScorer, featurize_smiles, init_featurizer_worker
from biomedfm.chem.featurizers import make_featurizer

ABL1_KINASE_DOMAIN = (
    "SPNYDKWEMERTDITMKHKLGGGQYGEVYEGVWKKYSLTVAVKTLKEDTMEVEEFLKEAAVMKEIKHPNLVQLLGVCTREPPFYIITEFM"
    "TYGNLLDYLRECNRQEVNAVVLLYMATQISSAMEYLEKKNFIHRDLAARNCLVGENHLVKVADFGLSRLMTGDTYTAHAGAKFPIKWTA"
    "PESLAYNKFSIKSDVWAFGVLLWEIATYGMSPYPGIDLSQVYELLEKDYRMERPEGCPEKVYELMRACWQWNPSDRPSFAEIHQAFE"
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("library")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--models", nargs="+", default=["davis-lite", "davis"])
    args = parser.parse_args()
    cuda = args.device.startswith("cuda")
    smiles = pd.read_csv(args.library, nrows=100_000)["smiles"].tolist()
    rows = []
    for name in args.models:
        scorer = TorchScorer(load_model(name, device=args.device))
        spec = scorer.drug_featurizer_spec
        features = featurize_smiles(smiles[:50_000], {}, make_featurizer("drug", spec)).features
        targets = scorer.encode_targets([ABL1_KINASE_DOMAIN])
        row: dict[str, object] = {"model": name, "device": args.device, "workers": args.workers}
        for chunk in (10_000, 50_000):
            scorer.score(features[:chunk], targets)  # warm-up
            if cuda:
                torch.cuda.synchronize()
            started = time.perf_counter()
            for start in range(0, len(features), chunk):
                scorer.score(features[start : start + chunk], targets)
            if cuda:
                torch.cuda.synchronize()
            row[f"model_only_per_s_chunk{chunk}"] = round(
                len(features) / (time.perf_counter() - started)
            )
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            args.workers, mp_context=context, initializer=init_featurizer_worker, initargs=(spec,)
        ) as pool:
            list(pool.map(featurize_smiles, [smiles[:100]] * args.workers, [{}] * args.workers))
            batches = [smiles[i : i + 1000] for i in range(0, len(smiles), 1000)]
            started = time.perf_counter()
            list(pool.map(featurize_smiles, batches, [{}] * len(batches)))
            row["featurize_only_per_s"] = round(len(smiles) / (time.perf_counter() - started))
        print(json.dumps(row), flush=True)
        rows.append(row)


if __name__ == "__main__":
    main()
