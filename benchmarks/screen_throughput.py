"""Screening throughput and peak memory, end to end through the CLI (issue: virtual screening).

Runs ``biomedfm affinity screen`` on the MOSES library (or its first N records) against one
target and a 10-kinase panel, samples the summed RSS of the whole process tree (main process +
featurization workers) every 0.2 s, and compares with the simplest honest baseline: RDKit
Morgan fingerprints + a scikit-learn random forest trained on the target's Davis pairs,
scoring the same records in one process.

Usage:
  python benchmarks/screen_throughput.py --sizes 100000 1580000 --model davis-lite
  python benchmarks/screen_throughput.py --sizes 100000 --panel 10 --model davis
  python benchmarks/screen_throughput.py --sizes 100000 --baseline
Writes benchmarks/results/screening/<name>.json.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("BIOMEDFM_DATA", ROOT.parent / "shared" / "data"))
LIBRARY = DATA / "screening" / "moses_1.58M.csv.gz"
RESULTS = ROOT / "benchmarks" / "results" / "screening"
WORK = Path("/tmp/biomedfm-screen-bench")


def tree_rss(pid: int) -> int:
    """Summed resident memory (bytes) of a process and all its descendants, from /proc."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/statm") as handle:
                total += int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    stack.extend(int(c) for c in handle.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def run_measured(command: list[str]) -> tuple[float, int, str]:
    """Run a command; return wall seconds, peak tree RSS and its stderr."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )
    peak = [0]

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], tree_rss(process.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    sampler.join()
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{stderr}")
    return time.perf_counter() - started, peak[0], stderr


def subset(size: int) -> Path:
    """The first ``size`` records of the library as a gzipped CSV (the library itself if all)."""
    if size >= 1_580_000:
        return LIBRARY
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"moses_{size}.csv.gz"
    if not path.is_file():
        with gzip.open(LIBRARY, "rt") as source, gzip.open(path, "wt", compresslevel=1) as out:
            for number, line in enumerate(source):
                if number > size:
                    break
                out.write(line)
    return path


def targets(n: int) -> Path:
    proteins = pd.read_csv(DATA / "dta" / "davis" / "proteins.csv")
    proteins = proteins.drop_duplicates("sequence").head(n)
    path = WORK / f"panel_{n}.fasta"
    WORK.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "".join(f">{r.protein_id}\n{r.sequence}\n" for r in proteins.itertuples(index=False))
    )
    return path


def screen(size: int, model: str, n_targets: int, extra: list[str]) -> dict[str, object]:
    library = subset(size)
    command = [
        sys.executable, "-m", "biomedfm", "affinity", "screen", "-i", str(library),
        "-o", str(WORK / "hits.csv"), "--target-fasta", str(targets(n_targets)),
        "--model", model, "--top", "1000", *extra,
    ]  # fmt: skip
    wall, peak, stderr = run_measured(command)
    match = re.search(r"screened ([\d,]+) compounds in ([\d.]+) s", stderr.replace("\n", " "))
    assert match, stderr
    n, seconds = int(match.group(1).replace(",", "")), float(match.group(2))
    return {
        "records": n,
        "model": model,
        "targets": n_targets,
        "options": extra,
        "wall_s": round(wall, 1),
        "screen_s": seconds,
        "compounds_per_s_wall": round(n / wall),
        "peak_rss_mb": round(peak / 2**20),
    }


def baseline(size: int) -> dict[str, object]:
    """Morgan bits + RandomForest trained on the first target's Davis pairs, one process."""
    from rdkit import Chem
    from rdkit.Chem import rdFingerprintGenerator
    from sklearn.ensemble import RandomForestRegressor

    proteins = pd.read_csv(DATA / "dta" / "davis" / "proteins.csv")
    pairs = pd.read_csv(DATA / "dta" / "davis" / "train.csv")
    first = proteins.iloc[0]
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    train = pairs[pairs["protein_id"] == first["protein_id"]]
    drugs = pd.read_csv(DATA / "dta" / "davis" / "drugs.csv").set_index("drug_id")
    x = np.stack(
        [
            generator.GetFingerprintAsNumPy(Chem.MolFromSmiles(drugs.loc[d, "smiles"]))
            for d in train["drug_id"]
        ]
    )
    forest = RandomForestRegressor(n_estimators=100, n_jobs=1, random_state=0).fit(
        x, train["affinity"]
    )
    started = time.perf_counter()
    scores, n = [], 0
    for frame in pd.read_csv(subset(size), chunksize=10_000):
        fps = []
        for smiles in frame["smiles"]:
            mol = Chem.MolFromSmiles(smiles)
            if mol is not None:
                fps.append(generator.GetFingerprintAsNumPy(mol))
        scores.append(forest.predict(np.stack(fps)))
        n += len(frame)
    ranked = np.sort(np.concatenate(scores))[::-1][:1000]
    seconds = time.perf_counter() - started
    del ranked
    return {"records": n, "model": "morgan2048 + sklearn RandomForest(100)", "targets": 1,
            "wall_s": round(seconds, 1), "compounds_per_s_wall": round(n / seconds)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--model", default="davis-lite")
    parser.add_argument("--panel", type=int, default=1, help="Targets (first N Davis kinases).")
    parser.add_argument("--baseline", action="store_true", help="Also time the sklearn baseline.")
    parser.add_argument("--extra", default="", help="More screen options, e.g. '--backend onnx'.")
    parser.add_argument("--name", default=None)
    args = parser.parse_args()
    results = []
    for size in args.sizes:
        result = screen(size, args.model, args.panel, args.extra.split())
        print(json.dumps(result), flush=True)
        results.append(result)
        if args.baseline:
            result = baseline(size)
            print(json.dumps(result), flush=True)
            results.append(result)
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = args.name or f"{args.model}_{args.panel}t_{'_'.join(map(str, args.sizes))}"
    (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
