#!/usr/bin/env bash
# Screening on one GPU machine (issue: virtual screening, "GPU" numbers): lite and main models,
# featurization in CPU worker processes, the model on the GPU; then the model alone and the
# featurization alone, to say which one bounds the end-to-end rate.
# Prepare here:  mkdir -p .gpu/screen && (zcat ../shared/data/screening/moses_1.58M.csv.gz |
#   head -250001 | gzip -9 > .gpu/screen/moses_250k.csv.gz)
# Run (device tool): bash benchmarks/gpu_screen.sh   (carry .whl and .gpu/screen)
# Dry run here: DEVICE=cpu SKIP_WHEELS=1 PY=.venv/bin/python bash benchmarks/gpu_screen.sh
set -uo pipefail
OUT=${OUT:-/tmp/gpu_out}; mkdir -p "$OUT"
DEVICE=${DEVICE:-cuda}; PY=${PY:-python3}
if [ -d .whl ] && [ -z "${SKIP_WHEELS:-}" ]; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
fi
export PYTHONPATH=/tmp/site:$PWD/src PYTHONUNBUFFERED=1
LIB=${LIB:-.gpu/screen/moses_250k.csv.gz}
WORKERS=${WORKERS:-$(($(nproc) - 1))}
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
echo "cpus=$(nproc) workers=$WORKERS library=$LIB" | tee "$OUT/gpu_screen.txt"
$PY -c "import sys; sys.path.insert(0, 'benchmarks'); import screen_profile as p; \
print('>ABL1_kinase_domain'); print(p.ABL1_KINASE_DOMAIN)" > /tmp/abl1.fasta
for model in davis-lite davis; do
  start=$SECONDS
  $PY -m biomedfm affinity screen -i "$LIB" -o "/tmp/hits_$model.csv" --target-fasta /tmp/abl1.fasta \
    --model $model --device "$DEVICE" --workers "$WORKERS" --top 1000 2>&1 | tr '\r' '\n' \
    | grep -A2 "^screened" | tr '\n' ' ' | tee -a "$OUT/gpu_screen.txt"
  echo " [$model wall $((SECONDS - start)) s]" | tee -a "$OUT/gpu_screen.txt"
done
# Model alone (features precomputed) and featurization alone (the same worker pool size).
$PY benchmarks/screen_profile.py "$LIB" --device "$DEVICE" --workers "$WORKERS" 2>&1 \
  | tee -a "$OUT/gpu_screen.txt"
ls -la "$OUT"
