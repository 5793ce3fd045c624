#!/bin/sh
# Training throughput (lines/s) of the line recognizers on real Poilus lines:
# examples/lines-wide.vgsl (the shipped models/line.htrm's network),
# examples/lines-ref.vgsl (the size of the PyTorch CRNN issue #5 compares
# with: 5 convolutions of 32-128 with batch norm, 2 BiLSTMs of 192) and
# examples/lines-small.vgsl (the fastest), or only $NET if set, with
# the recipe's batch (16), height (48) and augmentation
# (models/recipes/line.sh), with 1 and 2 threads, and where the time goes
# (batch building + augmentation, forward/backward per layer, CTC, Adam),
# then inference speed (validation cost).  With 2 threads the step is
# htr-train's: the batch built in two slices, then run in two parts on copies
# of the network, one per core (lib/dp.h).  The load average is printed:
# other jobs on the machine skew the figures.
#   bench/train_lines.sh [steps]          (default 16 steps per thread count)
# Data from $HTR_DATA (default ../shared/data relative to the repository).
set -e
cd "$(dirname "$0")/.."
data=${HTR_DATA:-../shared/data}
if [ ! -r "$data/poilus/train.tsv" ]; then
	echo "train_lines.sh: $data/poilus/train.tsv not found: set HTR_DATA to" \
	    "the folder holding poilus/ (see ../shared/data/README.md)" >&2
	exit 1
fi
data=$(cd "$data" && pwd)
make -s lib/libhtr.a build/bench/train_lines
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
# every 4th training line (623 lines: all widths, many writers)
awk -v d="$data/poilus/" 'NR % 4 == 1 { print d $0 }' "$data/poilus/train.tsv" \
    > "$tmp/lines.tsv"
for net in ${NET:-examples/lines-wide.vgsl examples/lines-ref.vgsl \
    examples/lines-small.vgsl}; do
	for t in 1 2; do
		echo "== $net, OPENBLAS_NUM_THREADS=$t"
		OPENBLAS_NUM_THREADS=$t build/bench/train_lines \
		    "$tmp/lines.tsv" "$net" "${1:-16}" 16
		echo
	done
done
