#!/bin/sh
# Per-page diagnostics for line detection: draws a Poilus page with the
# lines htr-segment finds (red boxes, ink tinted per line, dropped ink
# yellow: htr-segment -draw) and the true line boxes of poilus/pages.tsv
# (green, drawn 3 pixels outside them), scaled to 900 pixels wide, as PNG.
# Use it on the pages bench/segment.sh scores worst, then open the PNGs in
# an image viewer.
#
#	bench/segdiag.sh STEM [OUT.png]
#
# STEM is a page's name without .jpg (first column of bench/segment.sh's
# per-page rows), e.g. TestamentsDePoilus_will_AN_0266-0; OUT.png defaults
# to bench/out/segdiag/STEM.png.  Data from $HTR_DATA (default
# ../shared/data next to the repository).  Needs netpbm (jpegtopnm,
# ppmdraw, pamscale, pamtopng).
top=$(cd "$(dirname "$0")/.." && pwd)
HTR_DATA=${HTR_DATA:-$top/../shared/data}
P=$HTR_DATA/poilus
[ $# -ge 1 ] || { echo "usage: segdiag.sh STEM [OUT.png]" >&2; exit 2; }
stem=$1
jpg=$P/pages/$stem.jpg
[ -r "$jpg" ] || { echo "segdiag.sh: $jpg: not readable (set HTR_DATA)" >&2; exit 1; }
[ -x "$top/bin/htr-segment" ] || { echo "segdiag.sh: build first (make)" >&2; exit 1; }
dir=$top/bench/out/segdiag
mkdir -p "$dir"
out=${2:-$dir/$stem.png}
tmp=$dir/$stem.tmp
jpegtopnm "$jpg" 2>/dev/null | ppmtopgm > "$tmp.pgm" || exit 1
"$top/bin/htr-segment" -draw "$tmp.ppm" "$tmp.pgm" > /dev/null || exit 1
awk -F'\t' -v p="pages/$stem.jpg" '
	$1 == p {
		split($3, b, " ")
		for (t = 3; t <= 5; t++) {
			x0 = b[1] - t; y0 = b[2] - t
			x1 = b[1] + b[3] - 1 + t; y1 = b[2] + b[4] - 1 + t
			printf "line %d %d %d %d; line %d %d %d %d; ", x0, y0, x1, y0, x0, y1, x1, y1
			printf "line %d %d %d %d; line %d %d %d %d; ", x0, y0, x0, y1, x1, y0, x1, y1
		}
		n++
	}
	BEGIN { printf "setcolor green; " }
	END { if (!n) exit 1 }' "$P/pages.tsv" > "$tmp.scr" ||
	{ echo "segdiag.sh: $stem: no true lines in pages.tsv" >&2; exit 1; }
ppmdraw -scriptfile="$tmp.scr" "$tmp.ppm" | pamscale -xsize 900 |
	pamtopng > "$out" || exit 1
rm -f "$tmp.pgm" "$tmp.ppm" "$tmp.scr"
echo "$out"
