#!/bin/sh
# demo.sh — what `make demo` runs: every built stage of htr on the example
# page (examples/page.jpg, the will of Louis Codet, 1914; see CREDITS),
# leaving each stage's output as PNG files in examples/out/.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/examples/out}
"$top/examples/stages.sh" -o "$out" "$top/examples/page.jpg"
echo
echo "The outputs of each stage are in $out/:"
ls -1 "$out" | sed 's/^/    /'
echo "Open them with any image viewer; 1-prep.png is what htr-prep made of"
echo "examples/page.jpg.  The example lines and their transcriptions are in"
echo "examples/lines/ and examples/lines.tsv."
