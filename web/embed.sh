#!/bin/sh
# Writes lib/serve_page.c, the upload page of htr-serve as a C array, from
# web/index.html (the Makefile reruns it when the page changes):
#   sh web/embed.sh web/index.html > lib/serve_page.c
set -e
in=${1:-web/index.html}
[ -r "$in" ] || { echo "embed.sh: $in: cannot read" >&2; exit 1; }
cat <<END
/* serve_page.c — generated from $in by web/embed.sh; do not edit.
 * The upload page that htr-serve serves at / (serve.h). */
#include <stddef.h>

#include "serve.h"

const unsigned char htr_serve_page[] = {
END
od -An -v -tu1 "$in" | awk '{
	for (i = 1; i <= NF; i++) {
		printf "%s%s", n == 0 ? "\t" : n % 16 ? ", " : ",\n\t", $i
		n++
	}
} END { print "" }'
echo '};'
echo 'const size_t htr_serve_page_len = sizeof htr_serve_page;'
