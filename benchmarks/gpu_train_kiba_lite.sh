#!/usr/bin/env bash
# Second GPU pass: the KIBA lite model, whose job ran out of budget in gpu_train_shipped.sh.
# Lite CV members distil from a re-trained KIBA main CV ensemble (same folds, same config);
# the refit lite distils from the shipped KIBA main (carried in .gpu/shipped/kiba).
# Run (device tool): bash benchmarks/gpu_train_kiba_lite.sh   (carry .whl and .gpu)
set -uo pipefail
OUT=${OUT:-/tmp/gpu_out}; RUNS=${RUNS:-/tmp/runs}; PY=${PY:-python3}; DEVICE=${DEVICE:-cuda}
EXTRA=${EXTRA:-}
mkdir -p "$OUT"; rm -rf "$RUNS"; mkdir -p "$RUNS"
if [ -d .whl ] && [ -z "${SKIP_WHEELS:-}" ]; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
fi
export PYTHONPATH=/tmp/site:$PWD/src PYTHONUNBUFFERED=1 BIOMEDFM_DATA=$PWD/.gpu/data
( sleep "${BUDGET_S:-330}"; echo "budget reached"; pkill -f "biomedfm affinity train" ) & watchdog=$!
start=$SECONDS
# shellcheck disable=SC2086
$PY -m biomedfm affinity train --dataset kiba --preset main --epochs 200 --no-refit \
  --device "$DEVICE" -o "$RUNS/kiba" --name kiba $EXTRA > "$RUNS/kiba.log" 2>&1
echo "kiba main CV rc=$? wall=$((SECONDS - start))s" | tee -a "$RUNS/walltimes.txt"
cp .gpu/shipped/kiba/config.json .gpu/shipped/kiba/model.safetensors "$RUNS/kiba/model/"
start=$SECONDS
# shellcheck disable=SC2086
$PY -m biomedfm affinity train --dataset kiba --preset lite --teacher "$RUNS/kiba" \
  --device "$DEVICE" -o "$RUNS/kiba-lite" --name kiba-lite $EXTRA > "$RUNS/kiba-lite.log" 2>&1
echo "kiba lite rc=$? wall=$((SECONDS - start))s" | tee -a "$RUNS/walltimes.txt"
kill $watchdog 2>/dev/null
cd "$RUNS" && tar czf "$OUT/results.tar.gz" --exclude='checkpoint.*' --exclude='cv/model.safetensors' \
  --exclude='kiba/model/model.safetensors' --exclude='oof.csv' .
ls -la "$OUT"; cat walltimes.txt
