#!/bin/sh
# Line detection on real pages: runs htr-segment on the Poilus page scans as
# htr does (after htr-prep -nonormalize: background flattened, page
# deskewed; boxes turned back onto the scan by the crops' deskew= tag) and
# scores its line boxes against poilus/pages.tsv (precision, recall, F1 of
# one-to-one matches at IoU >= 0.5, per page and overall, and the
# unmatched lines and boxes by group: missed, nearly found (and these by
# the side where the box is off), outside the
# true lines...) with build/bench/segeval -groups, plus seconds per page
# (htr-prep and htr-segment, JPEG decoding excluded).  Then htr-segment on
# the page as scanned (no htr-prep), the lines htr itself keeps (htr
# -format json with its defaults: htr-segment -doubtful's extra lines
# kept when read confidently, lines read with low confidence left out;
# segeval -boxes), and a baseline in the same run: a plain horizontal
# projection profile of the whole page (segeval -baseline).
#
#	bench/segment.sh [valid|train|all]     (default: valid, then train)
#
# Each unmatched line and box, by page: build/bench/segeval -list
# $HTR_DATA/poilus/pages.tsv < bench/out/segment/valid.manifest (after a run).
#
# valid = the pages of the writers in poilus/valid.tsv (unseen writers: the
# figure to report), train = the pages of the writers in poilus/train.tsv
# (the set to tune on).  Data from $HTR_DATA
# (default ../shared/data next to the repository).
top=$(cd "$(dirname "$0")/.." && pwd)
HTR_DATA=${HTR_DATA:-$top/../shared/data}
P=$HTR_DATA/poilus
seg=$top/bin/htr-segment
prep=$top/bin/htr-prep
eval=$top/build/bench/segeval
sets=${1:-valid train}
[ "$1" = all ] && sets="valid train"
for f in "$P/pages.tsv" "$P/valid.tsv" "$P/train.tsv"; do
	[ -r "$f" ] || { echo "segment.sh: $f: not readable (set HTR_DATA)" >&2; exit 1; }
done
[ -x "$seg" ] || { echo "segment.sh: build first (make)" >&2; exit 1; }
[ -x "$eval" ] || (cd "$top" && make -s build/bench/segeval) || exit 1
out=$top/bench/out/segment
mkdir -p "$out"
now() { date +%s.%N; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), load $(cut -d' ' -f1 /proc/loadavg)"
for set in $sets; do
	cut -f1 "$P/$set.tsv" | sed 's,.*/,,; s,__.*,,' | sort -u > "$out/$set.stems"
	: > "$out/$set.manifest"
	: > "$out/$set.rawman"
	: > "$out/$set.base"
	: > "$out/$set.kept"
	while read -r stem; do
		jpg=$P/pages/$stem.jpg
		[ -r "$jpg" ] || continue
		pgm=$out/$stem.pgm
		[ -s "$pgm" ] || jpegtopnm "$jpg" 2>/dev/null | ppmtopgm > "$pgm"
		t0=$(now)
		"$prep" -nonormalize "$pgm" | "$seg" > "$out/$stem.crops" ||
		    exit 1
		t1=$(now)
		"$seg" "$pgm" > "$out/$stem.raw" || exit 1
		t2=$(now)
		printf '%s\t%s\t%s\n' "$stem" "$out/$stem.crops" \
		    "$(echo "$t1 - $t0" | bc -l)" >> "$out/$set.manifest"
		printf '%s\t%s\t%s\n' "$stem" "$out/$stem.raw" \
		    "$(echo "$t2 - $t1" | bc -l)" >> "$out/$set.rawman"
		printf '%s\t%s\n' "$stem" "$pgm" >> "$out/$set.base"
		"$top/bin/htr" -format json "$pgm" |
		    sed -n 's/^ {"line":[0-9]*,"box":\[\([0-9]*\),\([0-9]*\),\([0-9]*\),\([0-9]*\)\].*/\1 \2 \3 \4/p' \
		    > "$out/$stem.kept" || exit 1
		printf '%s\t%s\n' "$stem" "$out/$stem.kept" >> "$out/$set.kept"
	done < "$out/$set.stems"
	echo "== $set pages: htr-prep -nonormalize | htr-segment (as htr does)"
	"$eval" -groups "$P/pages.tsv" < "$out/$set.manifest" || exit 1
	echo "== $set pages: htr-segment on the page as scanned"
	"$eval" "$P/pages.tsv" < "$out/$set.rawman" | tail -n 1 || exit 1
	echo "== $set pages: the lines htr keeps (htr -format json)"
	"$eval" -boxes "$P/pages.tsv" < "$out/$set.kept" | tail -n 1 || exit 1
	echo "== $set pages: baseline (whole-page horizontal projection profile)"
	"$eval" -baseline "$P/pages.tsv" < "$out/$set.base" | tail -n 1 || exit 1
done
