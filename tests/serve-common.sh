# serve-common.sh — sourced by tests/serve*.test: starting htr-serve on a
# free loopback port and training a tiny line model.  Needs $t (scratch
# dir) set; defines fail() and $fails.
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# start_server ARGS...: starts htr-serve -listen 127.0.0.1:0 ARGS in the
# background, waits for the "listening on" line, sets $pid, $addr, $url;
# the server's stderr is $t/server.err.  A trap kills it at exit.
start_server() {
	# Empty the log first: the background child truncates it only after
	# the fork, and a poll before that would read the address of the
	# server started before this one (a dead port: every request 000).
	: > "$t/server.err"
	htr-serve -listen 127.0.0.1:0 "$@" 2> "$t/server.err" &
	pid=$!
	trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT INT TERM
	addr=
	for i in $(seq 100); do
		addr=$(sed -n 's|.*listening on http://\([^/]*\)/.*|\1|p' "$t/server.err")
		[ -n "$addr" ] && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	if [ -z "$addr" ]; then
		echo "FAIL: htr-serve did not start:"; cat "$t/server.err"; exit 1
	fi
	url=http://$addr
	echo "htr-serve at $url"
}

# stop_server: SIGTERM, wait (at most 5 s), check the exit status.
stop_server() {
	kill -TERM $pid
	i=0
	while kill -0 $pid 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	kill -0 $pid 2>/dev/null && fail "server still running 5 s after SIGTERM"
	wait $pid; rc=$?
	[ $rc -eq 0 ] || fail "server exit status $rc after SIGTERM"
	trap - EXIT INT TERM
}

# recognition_available: 0 if this htr-serve has a recognition pipeline
# (its /healthz says "recognition": true).
recognition_available() {
	curl -s "$url/healthz" | grep -q '"recognition": true'
}

# tiny_model FILE: trains a small CTC line model (glyphs a, b, c: a bar, a
# box, a cross) in a few seconds, as tests/train-ctc.test does.  It reads
# its own kind of glyphs only; the tests check the path, not accuracy.
tiny_model() {
	mkdir -p "$t/tiny/img"
	(cd "$t/tiny" && awk -v n=120 -v seed=5 -v out=train.tsv 'BEGIN {
		srand(seed)
		for (k = 0; k < n; k++) {
			len = int(rand() * 4) + 1; text = ""; w = 2 + 7 * len
			for (x = 0; x < w; x++) for (y = 0; y < 10; y++) pix[x, y] = 0
			for (g = 0; g < len; g++) {
				c = int(rand() * 3); text = text substr("abc", c + 1, 1)
				x0 = 2 + 7 * g
				for (x = 0; x < 5; x++) for (y = 2; y < 8; y++) {
					on = 0
					if (c == 0 && x == 2) on = 1
					if (c == 1 && (x == 0 || x == 4 || y == 2 || y == 7)) on = 1
					if (c == 2 && (x == int((y - 2) * 4 / 5 + 0.5) || \
					    x == 4 - int((y - 2) * 4 / 5 + 0.5))) on = 1
					if (on) pix[x0 + x, y] = 1
				}
			}
			f = sprintf("img/%d.pgm", k)
			printf "P2\n%d 10\n255\n", w > f
			for (y = 0; y < 10; y++) {
				line = ""
				for (x = 0; x < w; x++) line = line " " (pix[x, y] ? 40 : 230)
				print line > f
			}
			close(f)
			printf "%s\t%s\n", f, text > out
		}
	}' && htr-train -net '[1,10,0,1 Cr3,3,12 Mp2,2 Lbx24 O1c4]' \
		-train train.tsv -valid-split 10 -epochs 3 -batch 8 -lr 0.01 \
		-seed 1 -o "$1" -quiet) || { echo "FAIL: cannot train a tiny model"; exit 1; }
}

# glyph_page FILE SCALE: a PNG "page" of two text lines made of the tiny
# model's glyphs (tiny_model must have run), scaled SCALE times.  Its
# lines read "ac bc abab" and "bc abab ac" (word gaps of 20 pixels).
glyph_page() {
	(cd "$t/tiny" &&
	for i in 0 3 5; do
		pnmpad -white -left 10 -right 10 -top 4 -bottom 4 img/$i.pgm > p$i.pgm
	done &&
	pnmcat -white -lr p0.pgm p3.pgm p5.pgm > row1.pgm &&
	pnmcat -white -lr p3.pgm p5.pgm p0.pgm > row2.pgm &&
	pnmcat -white -tb -jleft row1.pgm row2.pgm |
	pnmpad -white -left 20 -right 20 -top 20 -bottom 20 |
	pamscale "$2" | pnmtopng) > "$1" || { echo "FAIL: cannot make a page"; exit 1; }
}
