#!/bin/sh
# How htr's -min-conf and -doubt-conf defaults were chosen, on Poilus
# pages of TRAIN writers (never the valid writers' pages that
# bench/page.sh reports).
#
#	bench/minconf.sh [value ...]
#	bench/minconf.sh -doubt [value ...]
#
# The first form: the page CER of `htr` (default model and decoder) on 20
# of those pages (every 6th page, half of them) for each -min-conf value
# given (default 0 0.5 0.55 0.6; htr-segment's doubtful lines not read,
# -doubt-conf 0): lines read with a lower mean symbol confidence are left
# out of the page's text.  The second: the page CER on the 55 pages of
# bench/pages.inc's page_stems train for each -doubt-conf value (default
# 0 0.8 0.85 0.9; 0 leaves the doubtful lines unread) at the default
# -min-conf: lines htr-segment's layout filters rule out (headings,
# signatures, margin notes, stamps) are read and kept at that confidence.
#
# Data from $HTR_DATA (default ../shared/data next to the repository).
top=$(cd "$(dirname "$0")/.." && pwd)
HTR_DATA=${HTR_DATA:-$top/../shared/data}
P=$HTR_DATA/poilus
. "$top/bench/pages.inc"
page_check minconf.sh pages.tsv train.tsv
out=$top/bench/out/minconf
mkdir -p "$out"
if [ "$1" = -doubt ]; then
	shift
	page_stems train > "$out/stems"
	[ $# -gt 0 ] || set -- 0 0.8 0.85 0.9
	for c in "$@"; do
		printf -- '-doubt-conf %s: ' "$c"
		page_cer "$out/stems" "$out/pages.tsv" "$top/bin/htr" \
		    -doubt-conf "$c" || exit 1
	done
	exit 0
fi
page_stems train | awk 'NR % 2 == 1' | head -n 20 > "$out/stems"
[ $# -gt 0 ] || set -- 0 0.5 0.55 0.6
for c in "$@"; do
	printf -- '-min-conf %s: ' "$c"
	page_cer "$out/stems" "$out/pages.tsv" "$top/bin/htr" -min-conf "$c" \
	    -doubt-conf 0 || exit 1
done
