#!/usr/bin/env bash
# Get the working tree ready for a device call (gpu_train_shipped.sh, gpu_screen.sh), and back.
#
#   bash benchmarks/gpu_prepare.sh prepare   # wheels in .whl/, data in .gpu/data, weights aside
#   KEEP_WEIGHTS=1 bash benchmarks/gpu_prepare.sh prepare   # for gpu_screen.sh, which scores
#                                            # with the shipped models (then ~70 MB may travel:
#                                            # check the size it prints)
#   (device tool: run `bash benchmarks/gpu_train_shipped.sh` with carry [".whl", ".gpu"])
#   bash benchmarks/gpu_prepare.sh restore   # weights back in the tree and in the index
#
# Why: a call sends the tracked files plus the carried folders, 64 MiB at most. The shipped
# weights (39 MB, tracked) and RDKit (24 MB) alone nearly fill it, and the parasail wheel holds
# an unstripped 66 MB library. So 'prepare' strips parasail (3 MB zipped), and parks the four
# model.safetensors in .weights-hold/ (ignored, not carried) with `git rm --cached`, so they
# neither travel nor look deleted to git; 'restore' undoes that. Nothing is committed.
# The device image has PyTorch, NumPy, pandas, safetensors; the wheels are what it lacks, at
# the versions of this checkout's .venv (Python 3.12, x86-64).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
MODELS=src/biomedfm/affinity/models
HOLD=.weights-hold
WHEELS="rdkit pydantic pydantic_core pydantic_settings annotated_types typing_inspection
typing_extensions python-dotenv platformdirs rich typer"

exclude() {  # keep a folder out of git's view for good
  grep -qxF "/$1/" .git/info/exclude 2>/dev/null || echo "/$1/" >> .git/info/exclude
}

download() {  # download <name==version>: the manylinux cp312 wheel, no dependencies
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 -d .whl "$1"
}

prepare() {
  exclude .whl; exclude .gpu; exclude "$HOLD"
  mkdir -p .whl .gpu/data "$HOLD"
  for name in $WHEELS; do
    version=$($PY -c "import importlib.metadata as m; print(m.version('$name'))")
    ls .whl/"${name//-/_}"-"$version"-*.whl > /dev/null 2>&1 || download "$name==$version"
  done
  version=$($PY -c "import importlib.metadata as m; print(m.version('parasail'))")
  if ! ls .whl/parasail-"$version"-*.whl > /dev/null 2>&1; then
    download "parasail==$version"
    wheel=$(ls .whl/parasail-"$version"-*.whl)
    work=$(mktemp -d)
    (cd "$work" && unzip -q "$OLDPWD/$wheel" && strip --strip-unneeded parasail/libparasail.so \
      && rm -rf parasail/include && rm "$OLDPWD/$wheel" && zip -q -r "$OLDPWD/$wheel" .)
    rm -rf "$work"
  fi
  rm -rf .gpu/data/dta
  cp -r "${BIOMEDFM_DATA:-../shared/data}/dta" .gpu/data/
  for dataset in davis kiba; do  # transfer sets for distilling the lites (no labels, no pairs)
    BIOMEDFM_DATA=${BIOMEDFM_DATA:-../shared/data} $PY benchmarks/distill_transfer_set.py \
      --dataset "$dataset" -o ".gpu/transfer-$dataset.csv"
  done
  BIOMEDFM_DATA=${BIOMEDFM_DATA:-../shared/data} $PY benchmarks/distill_transfer_set.py \
    --dataset kiba --moses 10000 -o .gpu/transfer-kiba-m10k.csv  # variant t1m
  for dir in "$MODELS"/*/; do
    name=$(basename "$dir")
    [ -f "$dir/model.safetensors" ] && [ -z "${KEEP_WEIGHTS:-}" ] || continue
    mkdir -p "$HOLD/$name"
    mv "$dir/model.safetensors" "$HOLD/$name/"
    git rm -q --cached "$dir/model.safetensors"
  done
  echo "travels: $(git ls-files -z | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1) bytes" \
    "tracked + $(du -sb .whl .gpu | awk '{s += $1} END {print s}') bytes carried (limit 67108864)"
}

restore() {
  for dir in "$HOLD"/*/; do
    [ -d "$dir" ] || continue
    name=$(basename "$dir")
    mv "$dir/model.safetensors" "$MODELS/$name/"
    git add "$MODELS/$name/model.safetensors"
    rmdir "$dir"
  done
  rmdir "$HOLD" 2> /dev/null || true
  rm -rf .gpu
  git status --short
}

case "${1:-}" in
  prepare) prepare ;;
  restore) restore ;;
  *) echo "usage: bash benchmarks/gpu_prepare.sh prepare|restore" >&2; exit 2 ;;
esac
