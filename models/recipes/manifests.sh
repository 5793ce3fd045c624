# shellcheck shell=sh
# manifests.sh — sourced by the line-model recipes (line.sh, synth.sh):
# the manifests of the real training and validation lines, Poilus and
# Hooker, with absolute image paths.
#
#   real_manifests DATA DIR PREFIX
#
# writes DIR/PREFIXtrain.tsv and DIR/PREFIXvalid.tsv (both sets together,
# Poilus first) and DIR/poilus-train.tsv, DIR/hooker-valid.tsv... (each
# set alone), from DATA/poilus/train.tsv and the like.  Sets the shell
# variables split and set (plain sh has no local variables).
real_manifests() {
	for split in train valid; do
		for set in poilus hooker; do
			sed "s|^|$1/$set/|" "$1/$set/$split.tsv" \
			    > "$2/$set-$split.tsv"
		done
		cat "$2/poilus-$split.tsv" "$2/hooker-$split.tsv" \
		    > "$2/$3$split.tsv"
	done
}
