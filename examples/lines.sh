#!/bin/sh
# lines.sh — recognizes the example lines (examples/lines.tsv: Poilus and
# Hooker lines of writers and letters the default model never trained on)
# with `htr -line` (beam search with the model's language model when it
# has one, as htr reads by default), prints each line's truth next to
# htr's output, then the character and word error rates over them from
# htr-eval: best path, and beam search with the LM.
#
#   examples/lines.sh [model.htrm]        (default: the shipped line model)
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/bin:$PATH
export PATH
m=
[ $# -ge 1 ] && m="-m $1"
[ -x "$top/bin/htr" ] || { echo "$0: bin/htr is not built; run make" >&2; exit 1; }
tab=$(printf '\t')
while IFS="$tab" read -r path text; do
	got=$(htr $m -line "$top/examples/$path")
	printf '%s\n  truth: %s\n  htr:   %s\n' "$path" "$text" "$got"
done < "$top/examples/lines.tsv"
model=${1:-$top/models/line.htrm}
lm=${model%.htrm}.htrl
if [ -r "$lm" ]; then
	htr-eval -m "$model" -test "$top/examples/lines.tsv" -worst 0 \
	    -decoder best,beam -lm "$lm" -bonus 1.5
else
	htr-eval -m "$model" -test "$top/examples/lines.tsv" -worst 0
fi
