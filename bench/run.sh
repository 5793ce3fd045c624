#!/bin/sh
# make bench: runs every bench/*.sh but segdiag.sh, a per-page drawing tool
# (none is part of make check).  Each states
# its own baseline; this prints the machine once.  Data from $HTR_DATA
# (default ../shared/data next to the repository).
top=$(cd "$(dirname "$0")/.." && pwd)
HTR_DATA=${HTR_DATA:-$top/../shared/data}; export HTR_DATA
PATH="$top/bin:$PATH"; export PATH
HTR_TOP=$top; export HTR_TOP
mkdir -p "$top/bench/out"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
rc=0
for b in "$top"/bench/*.sh; do
	case "$b" in */run.sh|*/segdiag.sh) continue ;; esac  # not benchmarks
	[ -e "$b" ] || continue
	echo "== $(basename "$b")"
	sh "$b" || { echo "bench $(basename "$b") failed"; rc=1; }
done
exit $rc
