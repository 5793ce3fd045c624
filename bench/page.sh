#!/bin/sh
# Whole pages to text: runs `htr` (default line model) on the Poilus page
# scans of the valid writers (those of poilus/valid.tsv, never trained on)
# and scores the recognized text against the ground-truth lines of
# poilus/pages.tsv joined in reading order (page CER and WER, with
# build/bench/pagecer), plus seconds per page for the whole job (read JPEG,
# prep, segment, recognize, decode) on this machine.  Then the same pages
# read from their true line boxes instead of htr-segment's: the page CER
# with a perfect segmentation, for comparison.  Then where the time
# goes, with build/bench/pagespeed on the same pages: CPU seconds (all
# threads; on a machine shared with other jobs the steadier measure) and
# wall seconds per stage (read JPEG, prep, segment, recognize, decode),
# first for the baseline, everything on one core with the lines' batches
# one after the other (OPENBLAS_NUM_THREADS=1, -serial: the code path of
# htr before batches ran on threads of their own), then as htr runs, on
# all cores; both runs must give the same text.
#
#	bench/page.sh [model.htrm] [htr options]
#
# HTR_BASE=path/to/another/bin/htr adds a whole-job comparison with that
# build (e.g. one of main, built elsewhere), the two run alternately page
# by page: CPU seconds (user + sys, /usr/bin/time) and wall seconds per
# page, and whether the texts agree.
#
# e.g. with beam search and the character LM of the default line model:
#	bench/page.sh models/line.htrm -decoder beam -lm models/line.htrl \
#	    -lmweight 0.5 -bonus 1.5
#
# Data from $HTR_DATA (default ../shared/data next to the repository).
top=$(cd "$(dirname "$0")/.." && pwd)
HTR_DATA=${HTR_DATA:-$top/../shared/data}
P=$HTR_DATA/poilus
m=
case $1 in *.htrm) m="-m $1"; shift ;; esac
. "$top/bench/pages.inc"
page_check page.sh pages.tsv valid.tsv
for b in pagecer pagespeed; do
	[ -x "$top/build/bench/$b" ] || (cd "$top" && make -s build/bench/$b) ||
	    exit 1
done
out=$top/bench/out/page
mkdir -p "$out"
echo "htr options: ${m:-(default model)} $*"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), load $(cut -d' ' -f1 /proc/loadavg)"
page_stems valid > "$out/stems"
: > "$out/pages.tsv"
total=0 npage=0
while read -r stem; do
	jpg=$P/pages/$stem.jpg
	[ -r "$jpg" ] || continue
	ref=$(awk -F'\t' -v p="pages/$stem.jpg" '$1 == p { print $4 }' "$P/pages.tsv" | tr '\n' ' ' | sed 's/ *$//')
	t0=$(date +%s.%N)
	hyp=$("$top/bin/htr" $m "$@" "$jpg" | tr '\n' ' ' | sed 's/ *$//') || exit 1
	t1=$(date +%s.%N)
	total=$(echo "$total + $t1 - $t0" | bc -l)
	npage=$((npage + 1))
	printf '%s\t%s\t%s\n' "$stem" "$ref" "$hyp" >> "$out/pages.tsv"
done < "$out/stems"
"$top/build/bench/pagecer" < "$out/pages.tsv"
printf 'seconds per page (htr, whole job): %.2f over %d pages\n' \
    "$(echo "$total / $npage" | bc -l)" "$npage"
echo "texts: $out/pages.tsv"

# The same pages read line by line from their true boxes (pages.tsv's,
# cut out of the page with pamcut; htr -line, same options): the page CER
# a perfect segmentation would give.  The gap between the two figures is
# what segmentation costs (missed and merged lines, lines the truth leaves
# out, boxes that cut ink).
: > "$out/truebox.tsv"
while read -r stem; do
	jpg=$P/pages/$stem.jpg
	[ -r "$jpg" ] || continue
	jpegtopnm "$jpg" 2>/dev/null | ppmtopgm > "$out/page.pgm" || exit 1
	ref=$(awk -F'\t' -v p="pages/$stem.jpg" '$1 == p { print $4 }' "$P/pages.tsv" | tr '\n' ' ' | sed 's/ *$//')
	hyp=$(awk -F'\t' -v p="pages/$stem.jpg" '$1 == p { print $3 }' \
	    "$P/pages.tsv" | while read -r x y w h; do
		pamcut -left "$x" -top "$y" -width "$w" -height "$h" \
		    "$out/page.pgm" > "$out/line.pgm" 2>/dev/null || exit 1
		"$top/bin/htr" $m "$@" -line "$out/line.pgm" || exit 1
	done | tr '\n' ' ' | sed 's/ *$//') || exit 1
	printf '%s\t%s\t%s\n' "$stem" "$ref" "$hyp" >> "$out/truebox.tsv"
done < "$out/stems"
echo "the same pages read from their true line boxes (htr -line):"
"$top/build/bench/pagecer" < "$out/truebox.tsv" | tail -n 1
echo "texts: $out/truebox.tsv"

# The whole job against another build, page by page in turns.
if [ -n "$HTR_BASE" ]; then
	[ -x "$HTR_BASE" ] || { echo "page.sh: HTR_BASE=$HTR_BASE: not a program" >&2; exit 1; }
	[ -x /usr/bin/time ] || { echo "page.sh: HTR_BASE needs /usr/bin/time" >&2; exit 1; }
	: > "$out/base.tsv"
	while read -r stem; do
		jpg=$P/pages/$stem.jpg
		[ -r "$jpg" ] || continue
		for b in "$HTR_BASE" "$top/bin/htr"; do
			/usr/bin/time -f '%U %S %e' -o "$out/time" "$b" $m "$@" \
			    "$jpg" > "$out/text" || exit 1
			printf '%s\t%s\t%s\n' "$b" "$(awk '{ print $1 + $2, $3 }' \
			    "$out/time")" "$(cksum < "$out/text")" >> "$out/base.tsv"
		done
	done < "$out/stems"
	for b in "$HTR_BASE" "$top/bin/htr"; do
		awk -F'\t' -v b="$b" '$1 == b { split($2, t, " "); c += t[1];
		    w += t[2]; n++ } END { printf "whole job, %s: %.3f s CPU, " \
		    "%.3f s wall per page\n", b, c / n, w / n }' "$out/base.tsv"
	done
	if [ "$(awk -F'\t' -v b="$HTR_BASE" '$1 == b { print $3 }' "$out/base.tsv")" = \
	    "$(awk -F'\t' -v b="$top/bin/htr" '$1 == b { print $3 }' "$out/base.tsv")" ]
	then
		echo "text: the same from both builds"
	else
		echo "text: DIFFERS between the builds"
	fi
fi

# Where the time goes.  pagespeed takes the model but no decoder options
# (best path decoding, whose time is negligible).
sm=${m:-"-m $top/models/line.htrm"}
jpgs=$(while read -r stem; do
	[ -r "$P/pages/$stem.jpg" ] && echo "$P/pages/$stem.jpg"
done < "$out/stems")
echo "stages, seconds per page (pagespeed; load $(cut -d' ' -f1 /proc/loadavg)):"
echo "-- baseline: 1 core, batches one after the other"
OPENBLAS_NUM_THREADS=1 "$top/build/bench/pagespeed" $sm -serial -quiet $jpgs \
    > "$out/speed-base.txt" || exit 1
grep -v '^text' "$out/speed-base.txt"
echo "-- htr: $(nproc) cores, batches on threads"
"$top/build/bench/pagespeed" $sm -quiet $jpgs > "$out/speed.txt" || exit 1
grep -v '^text' "$out/speed.txt"
if [ "$(grep '^text' "$out/speed-base.txt")" = "$(grep '^text' "$out/speed.txt")" ]
then
	echo "recognized text: the same in both runs"
else
	echo "recognized text: DIFFERS between the runs ($out/speed*.txt)"
	exit 1
fi
