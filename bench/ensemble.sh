#!/bin/sh
# Would an ensemble of two line models read better than either?  Best-path
# CER on the Poilus and Hooker valid lines of model A, of model B and of
# their log-probabilities mixed, W a + (1 - W) b, for a few weights W
# (build/bench/mix; W 1 is A alone, W 0 is B alone).  Both models must
# share the alphabet and the frames per column (the same convolution
# stack), as lines-wide and lines-deep do.
#
#	bench/ensemble.sh [B.htrm [A.htrm]]
#
# A defaults to models/line.htrm, B to models/line-deep.htrm (lines-deep,
# the default line model until session 5).
# Data from $HTR_DATA (default ../shared/data next to the repository).
top=$(cd "$(dirname "$0")/.." && pwd)
HTR_DATA=${HTR_DATA:-$top/../shared/data}
out=$top/bench/out/ensemble
mkdir -p "$out"
b=${1:-$top/models/line-deep.htrm}
a=${2:-$top/models/line.htrm}
for f in "$a" "$b"; do
	[ -r "$f" ] || { echo "ensemble.sh: $f: not readable" >&2; exit 1; }
done
for f in poilus/valid.tsv hooker/valid.tsv; do
	[ -r "$HTR_DATA/$f" ] ||
	    { echo "ensemble.sh: $HTR_DATA/$f: not readable (set HTR_DATA)" >&2; exit 1; }
done
(cd "$top" && make -s bin/htr-crnn build/bench/mix) || exit 1
data=$(cd "$HTR_DATA" && pwd)
. "$top/models/recipes/manifests.sh"
real_manifests "$data" "$out" ""
echo "A: $a"
echo "B: $b"
for set in poilus hooker; do
	for m in a b; do
		eval "model=\$$m"
		cut -f1 "$out/$set-valid.tsv" | tr '\n' '\0' |
		    xargs -0 "$top/bin/htr-crnn" -m "$model" > "$out/$set-$m.t" ||
		    exit 1
	done
	echo "== $set valid, best path"
	"$top/build/bench/mix" "$out/$set-valid.tsv" "$out/$set-a.t" \
	    "$out/$set-b.t" || exit 1
done
