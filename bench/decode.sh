#!/bin/sh
# Decoding time per line and character error rate of every decoder on the
# real network outputs of CTCWordBeamSearch (Bentham: 3 lines, IAM: 1 line),
# with best path as the baseline of the same run; then the same with a
# dictionary of ~10 000 words (Hooker training text, if present); then the
# held-out perplexity of character LMs of orders 3 to 8 on the Poilus lines.
# Reads $HTR_DATA (default ../shared/data from the repository root).
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
data=${HTR_DATA:-../shared/data}
make -s all build/bench/decode
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "build: $(cat build/flags)"
for set in bentham iam; do
	echo
	echo "== $set ($data/ctc-wbs/$set)"
	build/bench/decode "$data/ctc-wbs/$set"
done
if [ -f "$data/hooker/train.tsv" ]; then
	tmp=${TMPDIR:-/tmp}/htr-bench-$$
	cut -f2 "$data/hooker/train.tsv" > "$tmp.txt"
	echo
	echo "== iam, dictionary and LMs from corpus.txt + hooker/train.tsv text"
	build/bench/decode "$data/ctc-wbs/iam" "$tmp.txt"
	rm -f "$tmp.txt"
fi
if [ -f "$data/poilus/train.tsv" ]; then
	tmp=${TMPDIR:-/tmp}/htr-bench-$$
	echo
	echo "== char LM perplexity on poilus/valid.tsv (trained on train.tsv)"
	for o in 3 4 5 6 7 8; do
		cut -f2 "$data/poilus/train.tsv" | bin/htr-lm -order $o > "$tmp.htrl"
		printf 'order %d: ' $o
		cut -f2 "$data/poilus/valid.tsv" | bin/htr-lm -lm "$tmp.htrl"
	done
	rm -f "$tmp.htrl"
fi
