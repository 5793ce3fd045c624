#!/bin/sh
# Synthetic pretraining for the line model (issue #7): renders text in
# handwriting fonts with htr-synth, trains on that first, then fine-tunes
# on the real lines, and compares with training on the real lines alone.
# The shipped models/line.htrm was made so (models/README):
#
#   N=20000 PRE_EPOCHS=1 FT_EPOCHS=40 THREADS=1 WORK=build/synth-deep \
#       models/recipes/synth.sh          (from the repository root)
#   NET=@examples/lines-small.vgsl LOG_SCRATCH=... models/recipes/synth.sh
#
# Three phases, each skipped when its output exists (delete build/synth to
# start again; RESUME=1 continues an interrupted training phase, or the
# fine-tuning with more epochs):
#   1. render N lines with htr-synth: the texts are the TRAINING
#      transcriptions of Poilus and Hooker (no valid text), cycled with
#      fresh variation, in every font of $HTR_DATA/fonts, height 48;
#   2. pretrain NET (default @examples/lines-deep.vgsl) on them for
#      PRE_EPOCHS epochs (alphabet: the characters of the real training
#      texts, so that the fine-tuning data fits), validating on the real
#      valid lines;
#   3. fine-tune with htr-train -init on the real lines with exactly the
#      options of models/recipes/line.sh, for FT_EPOCHS epochs.
# Then it prints the validation CER per fine-tuning epoch next to the
# same epoch of training from scratch (LOG_SCRATCH, default
# models/line-deep-scratch.csv, written by line.sh with the same network,
# options and seed), and htr-eval's CER
# on each valid set for the fine-tuned model.
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
data=$(cd "${HTR_DATA:-../shared/data}" && pwd)
n=${N:-30000}
work=${WORK:-build/synth}
threads=${THREADS:-2}
scratch=${LOG_SCRATCH:-models/line-deep-scratch.csv}
for f in poilus/train.tsv poilus/valid.tsv hooker/train.tsv hooker/valid.tsv \
    fonts; do
	[ -r "$data/$f" ] || { echo "synth.sh: $data/$f missing" >&2; exit 1; }
done
[ -x bin/htr-train ] && [ -x bin/htr-synth ] || make
mkdir -p "$work"

# Manifests with absolute paths, as line.sh makes them.
. "$top/models/recipes/manifests.sh"
real_manifests "$data" "$work" real-
cut -f2 "$work/real-train.tsv" > "$work/text.txt"
# The alphabet: every character of the real training texts, once.
perl -CSD -ne 'chomp; $c{$_} = 1 for split //; END { print sort keys %c }' \
    "$work/text.txt" > "$work/alphabet.txt"

# 1. Render.
if [ ! -s "$work/set/manifest.tsv" ]; then
	start=$(date +%s)
	bin/htr-synth -fontdir "$data/fonts" -text "$work/text.txt" -n "$n" \
	    -height 48 -seed 1 -threads "$threads" -o "$work/set.tmp"
	rm -rf "$work/set"
	mv "$work/set.tmp" "$work/set"
	echo "synth.sh: rendered $n lines in $(($(date +%s) - start)) s" |
	    tee -a "$work/time.txt"
fi

resume=
[ -n "$RESUME" ] && resume=-resume
common="-level line -height 48 -valid $work/real-valid.tsv -batch 16
    -lr-decay 0.9 -clip 5 -seed 1 -patience 8 -threads $threads"
aug="-aug-scale 0.1 -aug-rotate 1.5 -aug-shear 0.3 -aug-translate 0.03
    -aug-elastic 1 -aug-clean 0.3"

# 2. Pretrain on synthetic lines (they vary enough; no augmentation).
if [ ! -s "$work/pre.htrm" ]; then
	start=$(date +%s)
	# shellcheck disable=SC2086
	bin/htr-train -net "${NET:-@examples/lines-deep.vgsl}" \
	    -alphabet "@$work/alphabet.txt" -train "$work/set/manifest.tsv" \
	    $common -lr 0.001 -epochs "${PRE_EPOCHS:-2}" \
	    -checkpoint "$work/ckpt-pre" -log "$work/pre.csv" \
	    -o "$work/pre.htrm.tmp" $resume
	mv "$work/pre.htrm.tmp" "$work/pre.htrm"
	echo "synth.sh: pretrained in $(($(date +%s) - start)) s" |
	    tee -a "$work/time.txt"
	resume=
fi

# 3. Fine-tune on the real lines (RESUME=1 continues it, e.g. with a
# larger FT_EPOCHS, even when ft.htrm exists).
if [ ! -s "$work/ft.htrm" ] || [ -n "$resume" ]; then
	start=$(date +%s)
	# shellcheck disable=SC2086
	bin/htr-train -init "$work/pre.htrm" -train "$work/real-train.tsv" \
	    $common $aug -lr 0.001 -epochs "${FT_EPOCHS:-3}" \
	    -checkpoint "$work/ckpt-ft" -log "$work/ft.csv" \
	    -o "$work/ft.htrm.tmp" $resume
	mv "$work/ft.htrm.tmp" "$work/ft.htrm"
	echo "synth.sh: fine-tuned in $(($(date +%s) - start)) s" |
	    tee -a "$work/time.txt"
fi

echo "== validation CER (both valid sets together) after each epoch on real lines"
echo "epoch	scratch	synth-pretrained"
awk -F, 'NR == FNR { if (FNR > 1) s[$1] = $5; next }
    FNR > 1 { printf "%d\t%s\t%.2f %%\n", $1,
        ($1 in s) ? sprintf("%.2f %%", 100 * s[$1]) : "-", 100 * $5 }' \
    "$scratch" "$work/ft.csv"
for set in poilus hooker; do
	echo "== $set valid, best path, synth-pretrained + fine-tuned"
	bin/htr-eval -m "$work/ft.htrm" -threads "$threads" \
	    -test "$work/$set-valid.tsv" | tee "$work/$set-valid.txt"
done
