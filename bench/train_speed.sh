#!/bin/sh
# Training speed of SimpleHTR's network shape (batch 50, input 32x128) with
# a per-layer breakdown, next to OpenBLAS's own sgemm speed measured in the
# same run.  Usage: bench/train_speed.sh [steps [batch]]
# Uses all cores unless OPENBLAS_NUM_THREADS says otherwise; the load
# average before and after is printed, since other jobs skew the figures.
set -e
cd "$(dirname "$0")/.."
make -s lib/libhtr.a build/bench/train_speed
exec nice -n 0 build/bench/train_speed "$@"
