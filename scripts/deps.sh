#!/bin/sh
# Install the Debian 12 packages htr needs to build, test and run, if any is
# missing.  Run as root (or with sudo on PATH).
set -e
pkgs="make gcc libc6-dev libnetpbm-dev netpbm libpng-dev libjpeg-dev zlib1g-dev
      libopenblas-dev libfreetype-dev libmicrohttpd-dev mandoc curl
      wamerican wfrench"
# htr-serve's browser test: Debian's chromium, driven by playwright-core
# from npm (tests/browser); node and npm from Debian if there are none.
pkgs="$pkgs chromium"
command -v npm >/dev/null 2>&1 || pkgs="$pkgs nodejs npm"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "deps: installing$missing" >&2
	sudo=
	[ "$(id -u)" = 0 ] || sudo=sudo
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
# playwright-core for tests/browser, pinned by its package-lock.json; it
# never downloads a browser (the test uses /usr/bin/chromium).
top=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -f "$top/tests/browser/node_modules/playwright-core/package.json" ]; then
	echo "deps: npm ci in tests/browser" >&2
	(cd "$top/tests/browser" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
	    npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
