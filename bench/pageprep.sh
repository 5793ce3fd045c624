#!/bin/sh
# Why htr segments a page without htr-prep's contrast stretch: page CER of
# `htr` (default model and decoder) as it runs (flattening and deskew, no
# stretch) against the page stretched first (htr-prep's default chain,
# then htr -noprep: what htr did before), on the train writers' pages
# that tune page-level settings, then on the valid writers' pages.
#
#	bench/pageprep.sh
#
# Data from $HTR_DATA (default ../shared/data next to the repository).
top=$(cd "$(dirname "$0")/.." && pwd)
HTR_DATA=${HTR_DATA:-$top/../shared/data}
P=$HTR_DATA/poilus
. "$top/bench/pages.inc"
page_check pageprep.sh pages.tsv train.tsv valid.tsv
out=$top/bench/out/pageprep
mkdir -p "$out"
stretched() { "$top/bin/htr-prep" "$1" | "$top/bin/htr" -noprep; }
for set in train valid; do
	page_stems $set > "$out/$set.stems"
	printf '%s pages, htr (no stretch):     ' $set
	page_cer "$out/$set.stems" "$out/$set-htr.tsv" "$top/bin/htr" || exit 1
	printf '%s pages, stretched (htr-prep): ' $set
	page_cer "$out/$set.stems" "$out/$set-stretch.tsv" stretched || exit 1
done
