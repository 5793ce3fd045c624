#!/bin/sh
# Regenerates the image fixtures of tests/unit/test_imgread.c and
# tests/badinput-image.test (netpbm tools and python3; run here).
# All files are made from scratch here: no third-party content.
set -e
# source.ppm: 40x30, colour blocks over a gray ramp.
python3 - <<'PY'
w, h = 40, 30
px = bytearray()
for y in range(h):
    for x in range(w):
        r = g = b = x * 255 // (w - 1)
        if 5 <= y < 15 and 5 <= x < 15: r, g, b = 200, 30, 30
        if 5 <= y < 15 and 20 <= x < 30: r, g, b = 30, 160, 60
        if 18 <= y < 26 and 10 <= x < 35: r, g, b = 20, 40, 220
        px += bytes((r, g, b))
open("source.ppm", "wb").write(b"P6\n%d %d\n255\n" % (w, h) + px)
PY
ppmtopgm source.ppm > source.pgm
pnmtojpeg -quality 95 source.pgm > gray.jpg
pnmtojpeg -quality 95 source.ppm > color.jpg
pnmtojpeg -quality 95 -progressive source.ppm > progressive.jpg
# The first half of a JPEG: "premature end of data".
head -c $(($(wc -c < color.jpg) / 2)) color.jpg > truncated.jpg
pnmtopng source.ppm > color.png
head -c $(($(wc -c < color.png) - 30)) color.png > truncated.png
: > empty.pgm
# 600 bytes from a fixed generator, not a real format.
python3 -c "
import sys
x = 12345
b = bytearray()
for i in range(600):
    x = (x * 1103515245 + 12345) % 2**31
    b.append(x >> 16 & 255)
sys.stdout.buffer.write(bytes(b))" > random.bin
# Headers claiming 100000 x 100000 pixels, no data.
python3 -c "
import struct, zlib, sys
ihdr = struct.pack('>IIBBBBB', 100000, 100000, 8, 0, 0, 0, 0)
chunk = struct.pack('>I', 13) + b'IHDR' + ihdr
chunk += struct.pack('>I', zlib.crc32(b'IHDR' + ihdr))
sys.stdout.buffer.write(b'\x89PNG\r\n\x1a\n' + chunk + b'\0' * 64)" > huge.png
printf 'P5\n100000 100000\n255\n' > huge.pgm
printf 'GIF89a\001\000\001\000\000\000\000;' > wrong.gif
