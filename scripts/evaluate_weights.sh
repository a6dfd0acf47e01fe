#!/usr/bin/env bash
# Test-set figures of a checkpoint, each by `python -m model.evaluate` (the model card's numbers).
#   bash scripts/evaluate_weights.sh [WEIGHTS] [OUT_DIR] [DATASETS_DIR]
#   SETS=validation bash scripts/evaluate_weights.sh ...   # the validation sets instead (GENKI-4K and
#       SMILEsmileD fold 1, FER2013 PublicTest: what model selection may look at), no flip
# GENKI-4K photos are face-cropped by the game's own cropper (--crop auto: a photo where no face
# is found is scored on the whole image and counted in faces_not_found).
set -euo pipefail
weights=${1:-weights/smile_emotion.pt}
out=${2:-weights/eval}
data=${3:-../shared/datasets}
py=${PYTHON:-.venv/bin/python}
case ${SETS:-test} in
  test) folds=(--split test); fer_split=PrivateTest; ttas=("" "--tta-flip")
        names=(photos_smile_fold0 smilesmiled_test fer2013_privatetest) ;;
  validation) folds=(--split val --val-fold 1); fer_split=PublicTest; ttas=("")
        names=(val_genki4k_fold1 val_smilesmiled_fold1 val_fer2013_publictest) ;;
  *) echo "error: SETS=${SETS}: expected test or validation" >&2; exit 2 ;;
esac
mkdir -p "$out"
for tta in "${ttas[@]}"; do
  tag=${tta:+_flip}
  $py -m model.evaluate --weights "$weights" --dataset genki4k --root "$data/genki4k" "${folds[@]}" \
      --crop auto $tta --json "$out/${names[0]}$tag.json"
  $py -m model.evaluate --weights "$weights" --dataset smilesmiled --root "$data/smilesmiled" "${folds[@]}" \
      $tta --json "$out/${names[1]}$tag.json"
  $py -m model.evaluate --weights "$weights" --dataset fer2013 --root "$data/fer2013" --split $fer_split \
      $tta --json "$out/${names[2]}$tag.json"
done
