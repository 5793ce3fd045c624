#!/bin/sh
# Trains a line recognizer for Latin-script handwriting (by default
# examples/lines-deep.vgsl into models/line.htrm) on the real lines of
# Poilus (French cursive, many writers) and Hooker (English cursive), one
# alphabet for both.  Validation (model
# selection, early stopping) on both valid.tsv files together; then each
# valid set is measured on its own with htr-eval.  The shipped
# models/line.htrm was pretrained on synthetic lines first
# (models/recipes/synth.sh), then continued here with INIT= (below).
#
#   models/recipes/line.sh                 (from the repository root)
#   HTR_DATA=/data THREADS=2 EPOCHS=40 models/recipes/line.sh
#
# Training takes hours on 2 cores: run it in the background.  Interrupted?
# RESUME=1 models/recipes/line.sh continues from the newest checkpoint in
# build/line/ckpt exactly where it stopped.
#
# A new session without build/line/ckpt (checkpoints hold the optimiser
# state and are not committed) continues from a model's weights instead:
#   INIT=models/line.htrm LR=0.0003 models/recipes/line.sh
# (the network and alphabet come from the model; Adam starts afresh).
#
# A model for one language: the shared model fine-tuned on one set (tried
# in session 5 and not shipped: see models/README):
#   INIT=models/line.htrm SETS=poilus LR=0.0001 LR_DECAY=0.8 EPOCHS=10 \
#       WORK=build/line-fr OUT=build/line-fr/line-fr.htrm models/recipes/line.sh
#
# More distortions on top of the geometric ones (stroke width, blur, noise,
# faded ink; see htr-train(1)), e.g. to continue a model that has begun
# to overfit its training writers:
#   INIT=models/line.htrm LR=0.0003 AUG="-aug-stroke 0.3 -aug-blur 0.6 \
#       -aug-noise 8 -aug-contrast 0.3" WORK=build/line-aug models/recipes/line.sh
#
# Another network beside the running one (its own work directory, so the
# two runs' checkpoints and logs stay apart):
#   NET=@examples/lines-medium.vgsl WORK=build/line-medium \
#       OUT=build/line-medium/line.htrm THREADS=1 models/recipes/line.sh
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
data=$(cd "${HTR_DATA:-../shared/data}" && pwd)
out=${OUT:-models/line.htrm}
net=${NET:-@examples/lines-deep.vgsl}
work=${WORK:-build/line}
mkdir -p "$work"
for f in poilus/train.tsv poilus/valid.tsv hooker/train.tsv hooker/valid.tsv; do
	[ -r "$data/$f" ] || { echo "line.sh: $data/$f missing" >&2; exit 1; }
done
[ -x bin/htr-train ] || make
# One manifest per split with absolute image paths, and one per set.
. "$top/models/recipes/manifests.sh"
real_manifests "$data" "$work" ""
# SETS=poilus (or hooker): train and validate on one set alone, e.g. to
# fine-tune the shared model into one for a single language.
if [ -n "$SETS" ]; then
	: > "$work/train.tsv"
	: > "$work/valid.tsv"
	for set in $SETS; do
		[ -r "$work/$set-train.tsv" ] ||
		    { echo "line.sh: SETS: no set $set" >&2; exit 1; }
		cat "$work/$set-train.tsv" >> "$work/train.tsv"
		cat "$work/$set-valid.tsv" >> "$work/valid.tsv"
	done
fi
# DROPOUT= sets every dropout layer's rate (e.g. 0.5 to regularise a model
# that reads its training lines far better than unseen ones); WD= adds
# decoupled weight decay.
REG=
[ -n "$DROPOUT" ] && REG="-dropout $DROPOUT"
[ -n "$WD" ] && REG="$REG -weight-decay $WD"
# KEEP_EPOCHS=1 keeps every epoch's model (ckpt/epoch-NNN.htrm, 19 MB
# each) for htr-train -average.
[ -n "$KEEP_EPOCHS" ] && REG="$REG -keep-epochs"
resume=
if [ -n "$RESUME" ]; then resume=-resume; else rm -rf "$work/ckpt"; fi
start=$(date +%s)
src="-net $net"
[ -n "$INIT" ] && src="-init $INIT"
# shellcheck disable=SC2086
bin/htr-train $src -level line -height 48 \
    -train "$work/train.tsv" -valid "$work/valid.tsv" \
    -batch 16 -lr ${LR:-0.001} -lr-decay ${LR_DECAY:-0.9} -clip 5 -seed 1 \
    -aug-scale 0.1 -aug-rotate 1.5 -aug-shear 0.3 -aug-translate 0.03 \
    -aug-elastic 1 -aug-clean 0.3 $AUG $REG \
    -epochs ${EPOCHS:-40} -patience 8 -threads ${THREADS:-2} \
    -checkpoint "$work/ckpt" -log "$work/train.csv" -plot "$work/curve.png" \
    -o "$out" $resume
end=$(date +%s)
echo "line.sh: trained in $((end - start)) s" | tee -a "$work/time.txt"
for set in poilus hooker; do
	echo "== $set valid, best path"
	bin/htr-eval -m "$out" -threads ${THREADS:-2} -test "$work/$set-valid.tsv" \
	    -worst 10 | tee "$work/$set-valid.txt"
done
