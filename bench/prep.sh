#!/bin/sh
# bench/prep.sh — htr-prep on real page scans ($HTR_DATA/poilus/pages):
#  1. deskew accuracy: each page is rotated by known angles with pnmrotate;
#     the change in the measured skew should equal the angle (the page's
#     own skew is unknown, so it is measured unrotated and subtracted).
#     Baseline: no correction at all (error = the angle).
#  2. auto-invert: real pages and lines (Poilus, Hooker) as they are must
#     not be inverted, their negatives (pnminvert) must be.  Baseline: the
#     majority vote of the two Otsu classes (the dark class holds more
#     than half the pixels), computed by awk from the histogram.
#  3. speed: the default chain per page against decoding alone
#     (htr-prep with every step off) and against jpegtopnm | ppmtopgm.
# Usage: bench/prep.sh [pages]   (default 20 pages: every 9th, sorted)
top=$(cd "$(dirname "$0")/.." && pwd)
HTR_DATA=${HTR_DATA:-$top/../shared/data}
PATH="$top/bin:$PATH"
n=${1:-20}
dir=$HTR_DATA/poilus/pages
[ -d "$dir" ] || { echo "bench/prep.sh: $dir: no such directory" >&2; exit 1; }
[ -x "$top/bin/htr-prep" ] || { echo "bench/prep.sh: build first" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/htr-bench-prep.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

pages=$(ls "$dir"/*.jpg | awk 'NR % 9 == 1' | head -n "$n")
skew() { htr-prep -verbose "$@" 2>&1 >/dev/null |
	sed -n 's/.*skew \([-0-9.]*\) deg.*/\1/p'; }
now() { date +%s.%N; }

: > "$tmp/err"
for p in $pages; do
	jpegtopnm "$p" 2>/dev/null > "$tmp/page.pgm"
	s0=$(skew "$tmp/page.pgm")
	for a in -7.3 4.1 12; do
		pnmrotate -background=white $a "$tmp/page.pgm" > "$tmp/rot.pgm"
		s=$(skew "$tmp/rot.pgm")
		echo "$(basename "$p") $a $s0 $s" >> "$tmp/err"
	done
done
awk '{ e = $4 - $3 - $2; if (e < 0) e = -e; b = $2 < 0 ? -$2 : $2
       n++; se += e; sb += b; if (e > me) me = e; if (e <= 0.5) ok++
       if (e > 0.5) bad = bad sprintf(" %s@%s(%.2f)", $1, $2, e) }
     END { printf "deskew: %d pages x 3 angles (-7.3, 4.1, 12 deg)\n", n / 3
           printf "  htr-prep:      mean error %.2f deg, max %.2f, %d/%d within 0.5 deg\n",
               se / n, me, ok, n
           printf "  no correction: mean error %.2f deg\n", sb / n
           if (bad != "") printf "  over 0.5 deg:%s\n", bad }' "$tmp/err"

# Auto-invert on every 4th page, every 16th Poilus line, every 40th
# Hooker line, each as it is and inverted.
imgs="$(ls "$dir"/*.jpg | awk 'NR % 4 == 1')
$(ls "$HTR_DATA"/poilus/lines/*.png | awk 'NR % 16 == 1')
$(ls "$HTR_DATA"/hooker/lines/*.jpg | awk 'NR % 40 == 1')"
# Otsu's dark class is the majority: pnm -> plain gray values -> awk.
majority() { pamtopnm -plain 2>/dev/null | tail -n +4 | tr -s ' \n' '\n\n' |
	awk 'NF { h[$1]++; n++ } END {
	    for (i = 0; i < 256; i++) { sum += i * h[i] }
	    best = -1; w0 = 0; s0 = 0
	    for (t = 0; t < 255; t++) { w0 += h[t]; s0 += t * h[t]; w1 = n - w0
	        if (w0 == 0 || w1 == 0) continue
	        m0 = s0 / w0; m1 = (sum - s0) / w1
	        b = w0 * w1 * (m0 - m1) ^ 2; if (b > best) { best = b; tt = t } }
	    d = 0; for (i = 0; i <= tt; i++) d += h[i]
	    print (d > n / 2) ? "yes" : "no" }'; }
echo "$imgs" | while IFS= read -r f; do
	[ -n "$f" ] || continue
	case $f in
	*.png) pngtopam "$f" > "$tmp/pos.pgm" ;;
	*) jpegtopnm "$f" 2>/dev/null > "$tmp/pos.pgm" ;;
	esac
	pnminvert "$tmp/pos.pgm" > "$tmp/neg.pgm"
	for k in pos neg; do
		h=$(htr-prep -verbose -noflatten -nonormalize -nodeskew \
		    "$tmp/$k.pgm" 2>&1 >/dev/null |
		    sed -n 's/.*inverted \([a-z]*\),.*/\1/p')
		m=$(majority < "$tmp/$k.pgm")
		echo "$k $h $m"
	done
done > "$tmp/inv"
awk '{ want = $1 == "neg" ? "yes" : "no"; n++
       if ($2 == want) h++; if ($3 == want) m++ }
     END { printf "auto-invert: %d images, each as it is and inverted\n", n / 2
           printf "  htr-prep (local-contrast skewness): %d/%d right\n", h, n
           printf "  Otsu majority vote (baseline):      %d/%d right\n", m, n }' \
    "$tmp/inv"

# Speed: all pages once per variant, wall time (the machine may be shared:
# see the load printed by bench/run.sh).
t0=$(now)
for p in $pages; do htr-prep "$p" > /dev/null; done
t1=$(now)
for p in $pages; do
	htr-prep -invert no -noflatten -nonormalize -nodeskew "$p" > /dev/null
done
t2=$(now)
for p in $pages; do jpegtopnm "$p" 2>/dev/null | ppmtopgm > /dev/null; done
t3=$(now)
echo "$t0 $t1 $t2 $t3 $n" | awk '{ n = $5
    printf "speed (ms per 1200-px-wide page, wall):\n"
    printf "  htr-prep default chain: %.0f\n", ($2 - $1) * 1000 / n
    printf "  htr-prep decode only:   %.0f\n", ($3 - $2) * 1000 / n
    printf "  jpegtopnm | ppmtopgm:   %.0f\n", ($4 - $3) * 1000 / n }'
