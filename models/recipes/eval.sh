#!/bin/sh
# Measures a line model on the Poilus and Hooker valid sets with the
# decoders: best path; beam search with the character LM of both
# languages (models/line.htrl) and with that of the set's language
# (line-fr / line-en.htrl); word beam search with the words of the set's
# language (line-words-fr / -en.txt).  models/recipes/lm.sh makes the LMs
# from the training transcriptions.  Prints a table: CER, WER, exact
# lines, and milliseconds per line of the decoder and of the network (it
# runs once per pass; three passes per set, about 6 minutes in all on 2
# busy cores).
#   models/recipes/eval.sh [model.htrm]          (default models/line.htrm)
#   HTR_DATA=/data THREADS=2 models/recipes/eval.sh build/line/line.htrm
# The decoder settings below were tuned on these valid sets
# (models/recipes/lmtune.sh); override them with the variables.  The raw
# htr-eval reports are left in build/eval/.
#   MIX=B.htrm [MIXW=0.7] models/recipes/eval.sh   the ensemble of the
#                                    model and B (htr-eval -mix)
#   FIT=10 models/recipes/eval.sh    also best path on every 10th TRAINING
#                                    line of each set: a model that reads
#                                    its own training lines no better than
#                                    unseen ones underfits
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
data=$(cd "${HTR_DATA:-../shared/data}" && pwd)
model=${1:-models/line.htrm}
beam=${BEAM:-25}               # beam search + character LM
lmweight=${LMWEIGHT:-0.5}
bonus=${BONUS:-1.5}
wbeam=${WBEAM:-50}             # word beam search
mode=${MODE:-forecast}
wweight=${WWEIGHT:-0.5}
for f in "$model" models/line.htrl models/line-fr.htrl models/line-en.htrl \
    models/line-words-fr.txt models/line-words-en.txt; do
	[ -r "$f" ] || { echo "eval.sh: $f missing (models/recipes/lm.sh" \
	    "makes the LMs)" >&2; exit 1; }
done
[ -x bin/htr-eval ] || make
out=build/eval
mkdir -p $out
ev() { # set, then htr-eval's decoder options
	s=$1; shift
	# shellcheck disable=SC2086
	nice -n 5 bin/htr-eval -m "$model" $mixopt \
	    -test "$data/$s/valid.tsv" -threads ${THREADS:-1} -worst 0 "$@"
}
# MIX=B.htrm (MIXW=0.7): the ensemble of the model and B (htr-eval -mix)
mixopt=
if [ -n "$MIX" ]; then
	[ -r "$MIX" ] || { echo "eval.sh: MIX=$MIX: not readable" >&2; exit 1; }
	mixopt="-mix $MIX -mix-weight ${MIXW:-0.7}"
fi
echo "model $model${MIX:+ mixed with $MIX (weight ${MIXW:-0.7} of the model's)}; valid sets of $data"
if [ -n "$FIT" ]; then
	for s in poilus hooker; do
		awk -v n="$FIT" 'NR % n == 1' "$data/$s/train.tsv" |
		    sed "s|^|$data/$s/|" > $out/$s-fit.tsv
		nice -n 5 bin/htr-eval -m "$model" -test $out/$s-fit.tsv \
		    -threads ${THREADS:-1} -worst 0 > $out/$s-fit.txt
		awk -F'\t' -v s=$s -v n="$FIT" '
		    $1 == "samples" { k = $2 }
		    $1 == "cer" { c = $2 } $1 == "wer" { w = $2 }
		    END { printf "%s train (every %sth line, %d lines), best path:" \
			" CER %s, WER %s\n", s, n, k, c, w }' $out/$s-fit.txt
	done
fi
printf '%-7s %-44s %8s %8s %5s %7s %7s\n' set decoder CER WER exact \
    dec_ms net_ms
for s in poilus hooker; do
	l=fr
	[ $s = hooker ] && l=en
	# -beam and -lmweight are shared by the decoders of one pass
	ev $s -decoder best,beam -beam $beam -lm models/line.htrl \
	    -lmweight $lmweight -bonus $bonus > $out/$s.txt
	ev $s -decoder beam -beam $beam -lm models/line-$l.htrl \
	    -lmweight $lmweight -bonus $bonus > $out/$s-$l.txt
	ev $s -decoder word -beam $wbeam -corpus models/line-words-$l.txt \
	    -mode $mode -lmweight $wweight > $out/$s-words.txt
	cat $out/$s.txt $out/$s-$l.txt $out/$s-words.txt | awk -F'\t' \
	    -v s=$s -v bn="beam $beam w $lmweight bonus $bonus" \
	    -v wn="word $wbeam $mode w $wweight line-words-$l" '
	    $1 == "network_ms_per_line" { net = $2 }
	    $1 == "decoder" {
		split($3, o, ", ")
		sub(".*/", "", o[2])
		name = $2 == "best" ? "best path" : $2 == "beam" ? bn " " \
		    o[2] : wn
	    }
	    $1 == "cer" { cer = $2 }
	    $1 == "wer" { wer = $2 }
	    $1 == "accuracy" { split($3, a, "[( ]"); ex = a[2] }
	    $1 == "decode_ms_per_line" {
		printf "%-7s %-44s %8s %8s %5s %7.2f %7.1f\n", s, name, cer,
		    wer, ex, $2, net
	    }'
done
