#!/bin/sh
# htr-serve under load on loopback: 50 concurrent keep-alive clients for
# 30 s POSTing a page image to /v1/recognize, against two baselines from
# the same run: GET /healthz under the same load (the HTTP server's own
# cost) and one client at a time (the latency of a request alone).
# Prints requests/s, p50/p99 latency, status counts and the server's peak
# RSS.  Bounded: every phase stops by itself; the server is killed at the
# end.  Not part of make check.
#   bench/serve.sh [-m MODEL] [IMAGE]     (env: CLIENTS, DURATION, WORKERS)
# Model: -m, else models/line.htrm, else a tiny model trained here (then
# the network is a small part of the cost; say so when quoting figures).
# Image: IMAGE, else the first Poilus page in $HTR_DATA, else a made one.
set -u
cd "$(dirname "$0")/.."
clients=${CLIENTS:-50} seconds=${DURATION:-30}
workers=${WORKERS:-$(nproc)}
model=
[ "${1:-}" = -m ] && { model=$2; shift 2; }
image=${1:-}
HTR_DATA=${HTR_DATA:-../shared/data}
out=bench/out/serve
rm -rf "$out"; mkdir -p "$out"
make -s bin/htr-serve bin/htr-train build/bench/serveload || exit 1
PATH=$PWD/bin:$PATH

if [ -z "$model" ] && [ -f models/line.htrm ]; then model=models/line.htrm; fi
if [ -z "$model" ]; then
	echo "model: none shipped yet; training the tiny test model (a few seconds)"
	t=$out; . tests/serve-common.sh
	tiny_model "$PWD/$out/tiny.htrm"
	model=$out/tiny.htrm
fi
if [ -z "$image" ]; then
	image=$(ls "$HTR_DATA"/poilus/pages/*.jpg 2>/dev/null | head -1)
fi
if [ -z "$image" ]; then
	printf 'A page made by bench/serve.sh\nwith three lines of text\nfor the load test.\n' |
		pbmtext -builtin fixed | pamscale 3 2>/dev/null | pnmtopng > "$out/page.png"
	image=$out/page.png
fi
case $image in
*.png) type=image/png ;; *.jpg|*.jpeg) type=image/jpeg ;; *) type=application/octet-stream ;;
esac
echo "model: $model"
echo "image: $image ($(wc -c < "$image") bytes)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "workers: $workers, queue: default (4 per worker), clients: $clients, $seconds s"

htr-serve -listen 127.0.0.1:0 -workers "$workers" -m "$model" 2> "$out/server.err" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT INT TERM
addr=
for i in $(seq 100); do
	addr=$(sed -n 's|.*listening on http://\([^/]*\)/.*|\1|p' "$out/server.err")
	[ -n "$addr" ] && break
	sleep 0.1
done
[ -n "$addr" ] || { cat "$out/server.err"; exit 1; }
curl -s "http://$addr/healthz" | grep -q '"status": "ok"' ||
	{ echo "server not ready:"; curl -s "http://$addr/healthz"; exit 1; }
rss() { awk '/^VmHWM/ { print $2 / 1024 " MiB" }' /proc/$pid/status; }
echo "server RSS at start (peak so far): $(rss)"

echo "--- baseline 1: GET /healthz, $clients clients, 5 s (HTTP overhead)"
timeout 60 build/bench/serveload -c "$clients" -d 5 "http://$addr/healthz" | tee "$out/healthz.tsv"
echo "--- baseline 2: POST /v1/recognize, 1 client, 10 s (a request alone)"
timeout 60 build/bench/serveload -c 1 -d 10 -f "$image" -t "$type" \
	"http://$addr/v1/recognize" | tee "$out/single.tsv"
echo "--- load: POST /v1/recognize, $clients clients, $seconds s"
timeout $((seconds + 60)) build/bench/serveload -c "$clients" -d "$seconds" -f "$image" -t "$type" \
	"http://$addr/v1/recognize" | tee "$out/load.tsv"
echo "server peak RSS: $(rss)"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
curl -s "http://$addr/healthz"
kill -0 $pid || { echo "server died"; exit 1; }
kill -TERM $pid; wait $pid; rc=$?
trap - EXIT INT TERM
[ $rc -eq 0 ] || { echo "server exit $rc"; cat "$out/server.err"; exit 1; }
