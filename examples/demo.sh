#!/bin/sh
# demo.sh — what `make demo` runs: reads the example page
# (examples/page.jpg, the will of Louis Codet, 1914; see CREDITS) with the
# one-command `htr` and the default line model, then runs every stage of
# the pipeline on it separately, leaving each stage's output as PNG files
# in examples/out/ for any image viewer.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/examples/out}
echo "== htr examples/page.jpg"
"$top/bin/htr" "$top/examples/page.jpg"
echo
echo "== the same page stage by stage (examples/stages.sh)"
"$top/examples/stages.sh" -o "$out" "$top/examples/page.jpg"
echo
echo "The outputs of each stage are in $out/:"
ls -1 "$out" | sed 's/^/    /'
echo "Open them with any image viewer; 1-prep.png is what htr-prep made of"
echo "examples/page.jpg, 2-segment.png shows the lines found.  For the example"
echo "lines with their true text next to htr's, run examples/lines.sh."
