#!/usr/bin/env bash
# Does the MOSES-pretrained drug encoder help the affinity networks on compounds they never saw?
# Cold-drug CV (5 folds by scaffold) of the main preset with the encoder's drug inputs (Morgan
# counts 1,024 + MACCS), 30 epochs, no refit: once from random weights, once with the drug tower
# started from the shipped encoder (init_from); nothing else differs. Davis in full (25,046
# training pairs), KIBA on a seeded random 30,000 of its pairs (the whole set takes ~4x longer).
# About 4 minutes per run on 2 CPU cores. Prints one JSON line per run (CV MSE and CI, mean and
# sd over the folds).
#
# Usage: bash benchmarks/affinity_encoder_cold_drug.sh [runs/encoder-cold-drug]
set -euo pipefail
OUT=${1:-runs/encoder-cold-drug}
mkdir -p "$OUT"
FEATURES='drug_featurizer={"name":"concat","parts":[{"name":"morgan","radius":2,"n_bits":1024,"counts":true},{"name":"maccs"}]}'
ENCODER=$(python -c "import biomedfm.affinity.encoder as e, pathlib; print(pathlib.Path(e.__file__).parent / 'models' / 'encoder')")
for DATASET in davis kiba; do
  SUBSET=()
  if [ "$DATASET" = kiba ]; then SUBSET=(--max-pairs 30000); fi
  for START in scratch encoder; do
    INIT=()
    if [ "$START" = encoder ]; then INIT=(--set "init_from=\"$ENCODER\""); fi
    RUN="$OUT/$DATASET-$START"
    biomedfm affinity train --dataset "$DATASET" -o "$RUN" --preset main --split cold-drug \
      --epochs 30 --no-refit --override --set "$FEATURES" "${INIT[@]}" "${SUBSET[@]}" > "$RUN.log" 2>&1
    python -c "
import json, sys
d = json.load(open('$RUN/cv_metrics.json'))
s = d['summary']
print(json.dumps({'dataset': '$DATASET', 'start': '$START', 'pairs': int(d['oof']['n']),
    'mse': round(s['mse']['mean'], 4), 'mse_sd': round(s['mse']['sd'], 4),
    'ci': round(s['ci']['mean'], 4), 'ci_sd': round(s['ci']['sd'], 4),
    'mse_per_fold': [round(f['mse'], 3) for f in d['per_fold']]}))"
  done
done
