#!/usr/bin/env bash
# Train the four shipped affinity models and the cold-split CV runs on one GPU machine.
#
# Runs the same `biomedfm affinity train` commands a CPU user would (add --device cuda); the
# machine has no RDKit/pydantic, so their wheels travel in .whl/ and the data in .gpu/data.
# Prepare here:  mkdir -p .gpu/data && cp -r ../shared/data/dta .gpu/data/
# Run (device tool): bash benchmarks/gpu_train_shipped.sh   (carry .whl and .gpu)
# Results come back in $OUT: <dataset>.safetensors.partNN (main weights) and results.tar.gz.
set -uo pipefail
BUDGET_S=${BUDGET_S:-360}
OUT=${OUT:-/tmp/gpu_out}
mkdir -p "$OUT"
DEVICE=${DEVICE:-cuda}
EXTRA=${EXTRA:-}  # e.g. "--epochs 1 --max-pairs 300" for a dry run on a CPU
PY=${PY:-python3}
if [ -d .whl ] && [ -z "${SKIP_WHEELS:-}" ]; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
fi
export PYTHONPATH=/tmp/site:$PWD/src PYTHONUNBUFFERED=1 BIOMEDFM_DATA=$PWD/.gpu/data
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
RUNS=${RUNS:-/tmp/runs}
rm -rf "$RUNS"; mkdir -p "$RUNS"
train() {  # train <run name> <dataset> <preset> [options...]
  local name=$1 dataset=$2 preset=$3; shift 3
  local start=$SECONDS
  # shellcheck disable=SC2086
  $PY -m biomedfm affinity train --dataset "$dataset" --preset "$preset" \
    --device "$DEVICE" -o "$RUNS/$name" --name "$name" "$@" $EXTRA > "$RUNS/$name.log" 2>&1
  echo "$name rc=$? wall=$((SECONDS - start))s" | tee -a $RUNS/walltimes.txt
}
pair() {  # pair <dataset> <split> [refit flag]: main, then lite distilled from it
  local ds=$1 split=$2 refit=$3 suffix=""
  [ "$split" != given ] && suffix="-$split"
  # shellcheck disable=SC2086
  train "$ds$suffix" "$ds" main --split "$split" "$refit" $MAIN_ARGS
  train "$ds-lite$suffix" "$ds" lite --split "$split" "$refit" --teacher "$RUNS/$ds$suffix"
}
start=$SECONDS
set -f  # --set values hold JSON brackets
# Stage 1: pick the main model's shape by 5-fold CV MSE on Davis validation folds.
SWEEP_S=${SWEEP_S:-120}
declare -A VARIANTS=(
  [base]=""
  [wide]="--set net.tower_hidden=512 --set net.head_hidden=[1024,256]"
  [full3mer]="--set protein_featurizer.bins=null"
  [lowdrop]="--set net.dropout=0.1"
  [long]="--epochs 200"
)
sweep_pids=()
for variant in "${!VARIANTS[@]}"; do
  # shellcheck disable=SC2086
  train "sweep-$variant" davis main --no-refit ${VARIANTS[$variant]} & sweep_pids+=($!)
done
( sleep "$SWEEP_S"; pkill -f "sweep-" ) & sweep_watchdog=$!
wait "${sweep_pids[@]}"; kill $sweep_watchdog 2>/dev/null
best=$($PY benchmarks/select_variant.py "$RUNS" sweep-)
MAIN_ARGS=${VARIANTS[$best]}
echo "selected main variant: $best ($MAIN_ARGS) after $((SECONDS - start)) s" | tee -a $RUNS/walltimes.txt
pids=()
( pair davis given --refit ) & pids+=($!)
( pair kiba given --refit ) & pids+=($!)
( pair davis cold-drug --no-refit; pair davis cold-protein --no-refit ) & pids+=($!)
( pair kiba cold-drug --no-refit ) & pids+=($!)
( pair kiba cold-protein --no-refit ) & pids+=($!)
( sleep "$BUDGET_S"; echo "budget reached: stopping"; pkill -f "biomedfm affinity train" ) &
watchdog=$!
wait "${pids[@]}"
kill $watchdog 2>/dev/null
echo "all jobs done in $((SECONDS - start)) s"
for ds in davis kiba; do
  # files come back at 16 MB at most: split larger weights, rejoin with cat
  [ -f $RUNS/$ds/model/model.safetensors ] && \
    split -b 15000000 -d $RUNS/$ds/model/model.safetensors "$OUT/$ds.safetensors.part"
done
cd $RUNS && tar czf "$OUT/results.tar.gz" --exclude='checkpoint.*' --exclude='cv/model.safetensors' \
  --exclude='davis/model/model.safetensors' --exclude='kiba/model/model.safetensors' \
  --exclude='*-cold-*/model/model.safetensors' --exclude='sweep-*/model/model.safetensors' --exclude='oof.csv' .
ls -la "$OUT"; cat $RUNS/walltimes.txt
