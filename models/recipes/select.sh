#!/bin/sh
# Model selection ("train several, keep the best"): trains every variant
# of a network on the same data and keeps the one with the lowest
# validation error.  Variants are VGSL files and learning rates; every
# combination is trained.
#
#   models/recipes/select.sh -o best.htrm \
#       -net examples/digits.vgsl,examples/digits-wide.vgsl -lr 0.001,0.002 \
#       -- -train train.tsv -valid valid.tsv -epochs 20 -patience 4
#
# Everything after -- goes to every htr-train run.  Each run's model, log
# and error land in ${WORK:-build/select}/<n>/; a summary table is printed
# (run, net, lr, validation error) and the best model is copied to -o.
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
train=${HTR_TRAIN:-$top/bin/htr-train}
out= nets= lrs=0.001
while [ $# -gt 0 ]; do
	case $1 in
	-o) out=$2; shift 2 ;;
	-net) nets=$2; shift 2 ;;
	-lr) lrs=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "select.sh: unknown option $1 (before --)" >&2; exit 2 ;;
	esac
done
[ -n "$out" ] && [ -n "$nets" ] || {
	echo "usage: select.sh -o best.htrm -net a.vgsl[,b.vgsl...]" \
	    "[-lr r1[,r2...]] -- htr-train options" >&2; exit 2; }
work=${WORK:-build/select}
mkdir -p "$work"
n=0 best= besterr=
for net in $(echo "$nets" | tr , ' '); do
	for lr in $(echo "$lrs" | tr , ' '); do
		n=$((n + 1))
		dir=$work/$n
		mkdir -p "$dir"
		"$train" -net "@$net" -lr "$lr" -o "$dir/model.htrm" \
		    -log "$dir/train.csv" -quiet "$@"
		# best validation error of the run: the lowest valid_error
		err=$(awk -F, 'NR > 1 && $4 != "nan" && (e == "" || $4 < e) \
		    { e = $4 } END { print (e == "" ? "nan" : e) }' \
		    "$dir/train.csv")
		printf '%s\t%s\t%s\t%s\n' "$n" "$net" "$lr" "$err" |
		    tee -a "$work/summary.tsv"
		if [ "$err" != nan ] && { [ -z "$besterr" ] ||
		    awk -v a="$err" -v b="$besterr" 'BEGIN { exit !(a < b) }'; }
		then
			best=$n besterr=$err
		fi
	done
done
[ -n "$best" ] || { echo "select.sh: no run had a validation error" >&2; exit 1; }
cp "$work/$best/model.htrm" "$out"
echo "select.sh: kept run $best (validation error $besterr) as $out"
