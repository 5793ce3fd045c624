#!/bin/sh
# stages.sh — runs each stage of the htr pipeline that is built (bin/htr-*)
# on a page image and leaves every stage's output as PNG files in a
# directory, for any image viewer.  Stages whose program is not built yet
# are skipped with a note.
#
#   examples/stages.sh [-o dir] [image]
#
# image defaults to examples/page.jpg, dir to examples/out.  Needs the
# netpbm tools (pamtopng, pnmsplit).  Files written, by stage:
#   1-prep.png            htr-prep (the default chain: gray, deskewed)
#   1-prep-sauvola.png    htr-prep -binarize sauvola (for comparison)
#   2-segment.png         htr-segment -doubtful -draw: the page with the
#                         line boxes (orange: lines the layout rules
#                         doubt, kept below only if read confidently)
#   2-lines/NNN.png       the line crops htr-segment wrote, in reading order
#   3-crnn/NNN.png        htr-crnn's output per line, as htr-tensor -pgm
#                         draws it (characters down, time across)
#   4-text.txt            htr-ctcdecode's transcription (with htr's
#                         -min-conf 0.6 and -doubt-conf 0.85)
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/examples/out
while getopts o: opt; do
	case $opt in
	o) out=$OPTARG ;;
	*) echo "usage: $0 [-o dir] [image]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -le 1 ] || { echo "usage: $0 [-o dir] [image]" >&2; exit 2; }
img=${1:-$top/examples/page.jpg}
PATH=$top/bin:$PATH
export PATH

for tool in pamtopng pnmsplit; do
	command -v $tool >/dev/null ||
		{ echo "$0: $tool not found (install netpbm)" >&2; exit 1; }
done
[ -x "$top/bin/htr-prep" ] ||
	{ echo "$0: bin/htr-prep is not built; run make first" >&2; exit 1; }
[ -r "$img" ] || { echo "$0: $img: cannot read" >&2; exit 1; }

have() { [ -x "$top/bin/$1" ]; }
note() { echo "stages: $*" >&2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/htr-stages.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# Splits a PGM stream into numbered PNGs in directory $2.
split_png() {
	rm -rf "$2"
	mkdir -p "$2"
	pnmsplit -quiet "$1" "$tmp/split-%d.pgm"
	for f in "$tmp"/split-*.pgm; do
		[ -e "$f" ] || continue
		n=${f##*-}
		n=${n%.pgm}
		pamtopng "$f" > "$2/$(printf %03d "$n").png"
		rm -f "$f"
	done
}

mkdir -p "$out"
rm -f "$out/1-prep.png" "$out/1-prep-sauvola.png" "$out/2-segment.png" \
    "$out/4-text.txt"

htr-prep -verbose "$img" > "$tmp/prep.pgm"
pamtopng "$tmp/prep.pgm" > "$out/1-prep.png"
htr-prep -binarize sauvola "$img" | pamtopng > "$out/1-prep-sauvola.png"
note "htr-prep: $out/1-prep.png, $out/1-prep-sauvola.png"

if ! have htr-segment; then
	note "htr-segment is not built: stopping after htr-prep"
	exit 0
fi
htr-segment -doubtful -draw "$tmp/boxes.ppm" < "$tmp/prep.pgm" \
    > "$tmp/lines.pgm"
pamtopng "$tmp/boxes.ppm" > "$out/2-segment.png"
split_png "$tmp/lines.pgm" "$out/2-lines"
note "htr-segment: $out/2-segment.png, $(ls "$out/2-lines" | wc -l)" \
    "line crops in $out/2-lines/"

if ! have htr-crnn; then
	note "htr-crnn is not built: stopping after htr-segment"
	exit 0
fi
if ! htr-crnn < "$tmp/lines.pgm" > "$tmp/logprob.htrt"; then
	note "htr-crnn failed (is a model installed? see models/README)"
	exit 1
fi
if have htr-tensor; then
	htr-tensor -pgm < "$tmp/logprob.htrt" > "$tmp/logprob.pgm"
	split_png "$tmp/logprob.pgm" "$out/3-crnn"
	note "htr-crnn: $out/3-crnn/ (one image per line)"
else
	note "htr-crnn: ran (htr-tensor is not built, so nothing to draw)"
fi

if ! have htr-ctcdecode; then
	note "htr-ctcdecode is not built: stopping after htr-crnn"
	exit 0
fi
htr-ctcdecode -min-conf 0.6 -doubt-conf 0.85 < "$tmp/logprob.htrt" \
    > "$out/4-text.txt"
note "htr-ctcdecode: $out/4-text.txt"
cat "$out/4-text.txt"
