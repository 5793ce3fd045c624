#!/bin/sh
# Runs every unit-test binary given as an argument and every tests/*.test
# script; prints one line per test and ends with "N passed, N failed".
# Exits non-zero if anything failed.  OpenBLAS is pinned to one thread so
# numeric comparisons are exact.
OPENBLAS_NUM_THREADS=1; export OPENBLAS_NUM_THREADS
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}; export ASAN_OPTIONS
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}; export UBSAN_OPTIONS
top=$(cd "$(dirname "$0")/.." && pwd)
PATH="$top/bin:$PATH"; export PATH
HTR_TOP=$top; export HTR_TOP
out=$top/tests/out
rm -rf "$out"; mkdir -p "$out"
pass=0 fail=0
for t in "$@" "$top"/tests/*.test; do
	[ -e "$t" ] || continue
	case "$t" in /*) ;; *) t=$PWD/$t ;; esac
	name=$(basename "$t")
	log=$out/$name.log
	case "$t" in
	*.test) (cd "$top/tests" && TMPDIR=$out sh "$t") >"$log" 2>&1 ;;
	*)      (cd "$top/tests" && TMPDIR=$out "$t") >"$log" 2>&1 ;;
	esac
	rc=$?
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1)); echo "PASS $name"
	else
		fail=$((fail + 1)); echo "FAIL $name (exit $rc, log $log)"
		tail -n 20 "$log" | sed 's/^/    /'
	fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
