#!/bin/sh
# Makes examples/synth-sheet.png: a contact sheet of htr-synth samples from
# the handwriting fonts in $HTR_DATA/fonts (default ../shared/data) and the
# project's corpus.  Run from the repository root after make.
#   sh examples/synth-sheet.sh [seed] [count]
set -e
data=${HTR_DATA:-../shared/data}
seed=${1:-1}
n=${2:-10}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin/htr-synth -fontdir "$data/fonts" \
    -words corpus/en.txt,corpus/fr.txt,/usr/share/dict/american-english,/usr/share/dict/french \
    -min-words 2 -max-words 6 -n "$n" -seed "$seed" |
	pnmsplit -quiet -padname=3 - "$tmp/s%d.pgm"
pnmcat -white -tb -jleft "$tmp"/s*.pgm | pamtopng > examples/synth-sheet.png
