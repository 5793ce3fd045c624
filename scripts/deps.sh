#!/bin/sh
# Install the Debian 12 packages htr needs to build, test and run, if any is
# missing.  Run as root (or with sudo on PATH).
set -e
pkgs="make gcc libc6-dev libnetpbm-dev netpbm libpng-dev libjpeg-dev zlib1g-dev
      libopenblas-dev libfreetype-dev libmicrohttpd-dev mandoc curl
      wamerican wfrench"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
