#!/bin/sh
# Recognition throughput (htr-crnn's batched path) on line-shaped inputs:
# batches of -batch 16 crops grouped by width against one crop at a time,
# both in this run.  Usage: bench/recognize.sh [VGSL [lines [batch]]]
# Uses all cores unless OPENBLAS_NUM_THREADS says otherwise.
set -e
cd "$(dirname "$0")/.."
make -s lib/libhtr.a build/bench/recognize
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
build/bench/recognize "$@"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
