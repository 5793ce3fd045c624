#!/bin/sh
# bench/synth.sh — how fast htr-synth makes line images.
#
# Renders N lines (default 2000; 2 to 9 words from the project's English
# and French corpus, height 64, all default distortions) with the fonts in
# $HTR_DATA/fonts (default ../shared/data; the three test fonts if absent)
# and prints images per second: with 1 thread, with 2 threads (the target:
# >= 500 images/s on 2 cores), and with 2 threads writing files and a
# manifest with -o.  The baseline, measured in the same run, is -plain
# (FreeType rendering and PGM output without any distortion), which shows
# what the distortions cost.  CPU seconds per image are printed too: on a
# shared machine wall time depends on the load, CPU time much less.
#
#   sh bench/synth.sh [N]        (from the repository root, after make)
set -e
n=${1:-2000}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
data=${HTR_DATA:-../shared/data}
if [ -d "$data/fonts" ]; then
	fonts="-fontdir $data/fonts"
	fontsay="$data/fonts ($(find "$data/fonts" -name '*.ttf' -o -name '*.otf' -o -name '*.woff2' | wc -l) fonts)"
else
	fonts="-fontdir tests/data/fonts"
	fontsay="tests/data/fonts (3 fonts; $data/fonts not found)"
fi
[ -x bin/htr-synth ] || { echo "bench/synth.sh: run make first" >&2; exit 1; }
if grep -q fsanitize build/flags 2>/dev/null; then
	echo "bench/synth.sh: bin/ is a SAN=1 build; run make clean && make" >&2
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores online, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "htr-synth, $n lines of 2-9 words, height 64, fonts $fontsay"

# run LABEL ARGS...: one timed run; prints images/s and CPU ms per image
run() {
	label=$1; shift
	/usr/bin/time -f '%e %U %S' -o "$tmp/time" bin/htr-synth $fonts \
	    -words corpus/en.txt,corpus/fr.txt -min-words 2 -max-words 9 \
	    -n "$n" -seed 1 "$@" > "$tmp/out"
	awk -v n="$n" -v label="$label" '{
		printf "%-34s %7.0f images/s  (%.2f s wall, %.2f ms CPU/image)\n",
		    label, n / $1, $1, 1000 * ($2 + $3) / n }' "$tmp/time"
}
run "baseline -plain, 1 thread" -plain -threads 1
run "default distortions, 1 thread" -threads 1
run "default distortions, 2 threads" -threads 2
# with no other load, 2 threads keep 2 cores busy: images/s = 2 / CPU s
awk -v n="$n" '{ printf "%-34s %7.0f images/s  (2 cores at the CPU time above, if idle)\n",
    "  projected, 2 idle cores", 2 * n / ($2 + $3) }' "$tmp/time"
rm -rf "$tmp/o"
run "2 threads, -o DIR (files+manifest)" -threads 2 -o "$tmp/o"
