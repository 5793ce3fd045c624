#!/bin/sh
# Builds the language models of the default line model (models/line.htrm)
# from the TRAINING transcriptions only (Poilus and Hooker train.tsv; the
# valid sets are for tuning and measuring):
#   models/line.htrl      character n-gram model for htr-ctcdecode / htr-eval
#                         -decoder beam -lm (htr-lm, order $ORDER)
#   models/line-words.txt corpus of word beam search (-decoder word -corpus):
#                         the training transcriptions, one line each; its
#                         dictionary and word bigrams are built from it for
#                         the model's alphabet when a decoder starts
#   models/line-fr.htrl, models/line-en.htrl, models/line-words-fr.txt,
#   models/line-words-en.txt: the same of one language (Poilus: French;
#                         Hooker: English), better on text of that language
#                         (models/recipes/lmtune.sh)
# Usage (from anywhere):
#   models/recipes/lm.sh
#   HTR_DATA=/data ORDER=6 models/recipes/lm.sh
# The settings that go with them (tuned on the valid sets) are in
# models/recipes/eval.sh.
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
data=$(cd "${HTR_DATA:-../shared/data}" && pwd)
order=${ORDER:-6}
for f in poilus/train.tsv hooker/train.tsv; do
	[ -r "$data/$f" ] || { echo "lm.sh: $data/$f missing" >&2; exit 1; }
done
[ -x bin/htr-lm ] || make
# the text column of every training line, in a fixed order
cut -f2 "$data/poilus/train.tsv" > models/line-words-fr.txt
cut -f2 "$data/hooker/train.tsv" > models/line-words-en.txt
cat models/line-words-fr.txt models/line-words-en.txt > models/line-words.txt
for l in "" -fr -en; do
	bin/htr-lm -order "$order" models/line-words$l.txt > models/line$l.htrl.tmp
	mv models/line$l.htrl.tmp models/line$l.htrl
	printf 'line%s.htrl: ' "$l"
	bin/htr-lm -lm models/line$l.htrl -info
done
# perplexity on the valid sets (characters, line ends included)
for set in poilus hooker; do
	l=-fr
	[ $set = hooker ] && l=-en
	for m in line line$l; do
		printf '%s valid, %s.htrl: ' $set $m
		cut -f2 "$data/$set/valid.tsv" | bin/htr-lm -lm models/$m.htrl
	done
done
ls -l models/line*.htrl models/line-words*.txt
