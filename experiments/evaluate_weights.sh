#!/usr/bin/env bash
# Test-set figures of a checkpoint, each by `python -m model.evaluate` (the model card's numbers).
#   bash experiments/evaluate_weights.sh [WEIGHTS] [OUT_DIR] [DATASETS_DIR]
#   SETS=validation bash experiments/evaluate_weights.sh ...   # the validation sets instead (GENKI-4K and
#       SMILEsmileD fold 1, FER2013 PublicTest: what model selection may look at), no flip
#   PREDICTIONS=DIR bash experiments/evaluate_weights.sh ...  # also one CSV per run in DIR (per-face rows
#       with labels: for python -m experiments.compare, not for weights/eval)
# GENKI-4K photos are face-cropped by the game's own cropper (--crop auto: a photo where no face
# is found is scored on the whole image and counted in faces_not_found). The fourth run scores
# FER2013 against FER+'s ten annotators: head 2 against their majority, head 1 on the faces they
# agree are a smile or no smile at all (many open mouths and bared teeth: what must not read as one).
set -euo pipefail
weights=${1:-weights/smile_emotion.pt}
out=${2:-weights/eval}
data=${3:-../shared/datasets}
py=${PYTHON:-.venv/bin/python}
case ${SETS:-test} in
  test) folds=(--split test); fer_split=PrivateTest; ttas=("" "--tta-flip")
        names=(photos_smile_fold0 smilesmiled_test fer2013_privatetest fer2013_privatetest_ferplus)
        manifests=(mtfl kdef taiwan_performers sfew kerc2020); manifest_split=test; manifest_name=%s_test ;;
  validation) folds=(--split val --val-fold 1); fer_split=PublicTest; ttas=("")
        names=(val_genki4k_fold1 val_smilesmiled_fold1 val_fer2013_publictest val_fer2013_publictest_ferplus)
        manifests=(mtfl kdef taiwan_performers sfew); manifest_split=val; manifest_name=val_%s ;;
  *) echo "error: SETS=${SETS}: expected test or validation" >&2; exit 2 ;;
esac
mkdir -p "$out" ${PREDICTIONS:+"$PREDICTIONS"}
run() {  # run NAME ARGS...: one model.evaluate (with $tta) into $out/NAME.json (and $PREDICTIONS/NAME.csv)
  local name=$1$tag; shift
  $py -m model.evaluate --weights "$weights" "$@" $tta --json "$out/$name.json" \
      ${PREDICTIONS:+--predictions "$PREDICTIONS/$name.csv"}
}
for tta in "${ttas[@]}"; do
  tag=${tta:+_flip}
  run "${names[0]}" --dataset genki4k --root "$data/genki4k" "${folds[@]}" --crop auto
  run "${names[1]}" --dataset smilesmiled --root "$data/smilesmiled" "${folds[@]}"
  run "${names[2]}" --dataset fer2013 --root "$data/fer2013" --split $fer_split
  run "${names[3]}" --dataset fer2013 --root "$data/fer2013" --split $fer_split \
      --ferplus "$data/ferplus/fer2013new.csv"
done
# The sets published with a split column (../shared/datasets/README.md): test = their test rows,
# validation = subjects drawn from their train rows (as model.train's val entries). Head 1 on
# MTFL's smile attribute and KDEF/Taiwanese happy-vs-rest; the expressive non-smiles (angry,
# disgust, fear, sad, surprise) give the false-smile rate of model.ship_rule's first clause.
tta="" tag=""
for set in "${manifests[@]}"; do
  run "$(printf "$manifest_name" "$set")" --dataset manifest --root "$data/$set/manifest.csv" --split "$manifest_split" --crop auto
done
# False OUT while talking: the game's engine over the held-out talking clips (experiments.talking_out).
$py -m experiments.talking_out --weights "$weights" --datasets "$data" --split test --json "$out/talking_out.json"
if [ -n "${PREDICTIONS:-}" ]; then cp "$out/talking_out.json" "$PREDICTIONS/talking_out.json"; fi
