#!/usr/bin/env bash
# Test-set figures of a checkpoint, each by `python -m model.evaluate` (the model card's numbers).
#   bash scripts/evaluate_weights.sh [WEIGHTS] [OUT_DIR] [DATASETS_DIR]
# GENKI-4K photos are face-cropped by the game's own cropper (--crop auto: a photo where no face
# is found is scored on the whole image and counted in faces_not_found).
set -euo pipefail
weights=${1:-weights/smile_emotion.pt}
out=${2:-weights/eval}
data=${3:-../shared/datasets}
py=${PYTHON:-.venv/bin/python}
mkdir -p "$out"
for tta in "" "--tta-flip"; do
  tag=${tta:+_flip}
  $py -m model.evaluate --weights "$weights" --dataset genki4k --root "$data/genki4k" --split test \
      --crop auto $tta --json "$out/photos_smile_fold0$tag.json"
  $py -m model.evaluate --weights "$weights" --dataset smilesmiled --root "$data/smilesmiled" --split test \
      $tta --json "$out/smilesmiled_test$tag.json"
  $py -m model.evaluate --weights "$weights" --dataset fer2013 --root "$data/fer2013" --split PrivateTest \
      $tta --json "$out/fer2013_privatetest$tag.json"
done
