#!/bin/sh
# How htr's -min-conf default was chosen: the page CER of `htr` (default
# model and decoder) on 20 Poilus pages of TRAIN writers (every 6th of
# their pages, never the valid writers' pages that bench/page.sh reports)
# for each -min-conf value given (default 0 0.5 0.55 0.6): lines read with
# a lower mean symbol confidence are left out of the page's text.
#
#	bench/minconf.sh [value ...]
#
# Data from $HTR_DATA (default ../shared/data next to the repository).
top=$(cd "$(dirname "$0")/.." && pwd)
HTR_DATA=${HTR_DATA:-$top/../shared/data}
P=$HTR_DATA/poilus
. "$top/bench/pages.inc"
page_check minconf.sh pages.tsv train.tsv
out=$top/bench/out/minconf
mkdir -p "$out"
page_stems train | awk 'NR % 2 == 1' | head -n 20 > "$out/stems"
[ $# -gt 0 ] || set -- 0 0.5 0.55 0.6
for c in "$@"; do
	printf -- '-min-conf %s: ' "$c"
	page_cer "$out/stems" "$out/pages.tsv" "$top/bin/htr" -min-conf "$c" ||
	    exit 1
done
