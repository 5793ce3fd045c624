#!/bin/sh
# Tunes the decoders of the default line model on the VALID sets (the
# tuning sets of this project): character-LM order and weight of beam
# search, mode, weight and word list (joint or per language) of word beam
# search.  Prints one row per set, pass and decoder: CER, WER and
# decoding ms per line.  Each pass runs the network once and one beam and
# one word beam search on its output (-lmweight is shared by the two).
#   models/recipes/lmtune.sh [model.htrm]
# Needs build/lm/ from this script's first step (training text only).
# Takes about 35 minutes on 2 busy cores (a run of PASSES="..." only
# those passes).
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
data=$(cd "${HTR_DATA:-../shared/data}" && pwd)
model=${1:-models/line.htrm}
bin=${BIN:-bin}
w=build/lm
mkdir -p $w
for set in poilus hooker; do
	cut -f2 "$data/$set/train.tsv" > $w/$set.txt
done
cat $w/poilus.txt $w/hooker.txt > $w/both.txt
for o in 5 6; do
	[ -s $w/both$o.htrl ] || $bin/htr-lm -order $o $w/both.txt > $w/both$o.htrl
done
for set in poilus hooker; do
	[ -s $w/${set}6.htrl ] || $bin/htr-lm -order 6 $w/$set.txt > $w/${set}6.htrl
done
# passes: LM order (own6: order 6 from the valid set's language only),
# beam, lmweight, bonus, word mode, word list (both: both training sets;
# own: the valid set's language only); the first round, then a second
# and a third one around its best
passes=${PASSES:-"6 25 0.5 0 words both
6 25 0.5 0 words own
5 25 0.5 0 ngrams both
6 25 0.3 0 ngrams own
6 25 0.8 0 forecast both
6 25 1.0 0 forecast own
6 25 1.5 0 forecast own
6 50 0.8 0 words both
6 25 0.5 1 forecast own
6 25 1.0 2 forecast both
6 50 0.5 0 forecast own
6 25 0.3 0.5 words own
6 25 0.5 1.5 forecast both
6 25 0.8 1.5 forecast own
6 25 0.5 2 words own
own6 25 0.5 1 forecast own"}
printf 'set\tdecoder\torder\tbeam\tlmweight\tbonus\tmode\twords\tcer\twer\tms/line\n'
for set in poilus hooker; do
	echo "$passes" | while read -r order beam lw bonus mode words; do
		c=$w/both.txt
		[ "$words" = own ] && c=$w/$set.txt
		lmf=$w/both$order.htrl
		[ "$order" = own6 ] && lmf=$w/${set}6.htrl
		nice -n 5 $bin/htr-eval -m "$model" -test "$data/$set/valid.tsv" \
		    -threads 1 -worst 0 -decoder beam,word -beam "$beam" \
		    -lm "$lmf" -lmweight "$lw" -bonus "$bonus" \
		    -corpus "$c" \
		    -mode "$mode" > $w/tune.out
		awk -F'\t' -v s="$set" -v o="$order" -v b="$beam" -v lw="$lw" \
		    -v m="$mode" -v wd="$words" -v bo="$bonus" '
		    $1 == "decoder" { d = $2 }
		    $1 == "cer" { cer = $2 }
		    $1 == "wer" { wer = $2 }
		    $1 == "decode_ms_per_line" {
			if (d == "beam") printf "%s\tbeam\t%s\t%s\t%s\t%s\t-\t-\t%s\t%s\t%s\n", s, o, b, lw, bo, cer, wer, $2
			else printf "%s\tword\t-\t%s\t%s\t-\t%s\t%s\t%s\t%s\t%s\n", s, b, (m == "words" ? "-" : lw), m, wd, cer, wer, $2
		    }' $w/tune.out
	done
done
