#!/usr/bin/env python3
"""Writes the web app's PNG icons (crates/web/static/icon-192.png, icon-512.png): a white
location ring on the Lägesbild blue, full-bleed so that it also works as a maskable icon.
Pure Python (zlib), so it runs anywhere; the PNGs are committed, this is how they were made."""
import math, struct, zlib, pathlib

BLUE = (0, 75, 135)
WHITE = (255, 255, 255)

def pixel(x, y, n):
    cx, cy = n / 2, n * 0.46
    r = math.hypot(x + 0.5 - cx, y + 0.5 - cy) / n
    # The ring, and the point below it.
    if 0.13 <= r <= 0.2:
        return WHITE
    if r < 0.06:
        return WHITE
    tip = (y + 0.5) / n
    half = (0.72 - tip) * 0.55
    if 0.6 <= tip <= 0.72 and abs((x + 0.5) / n - 0.5) <= half:
        return WHITE
    return BLUE

def png(n):
    rows = b"".join(b"\x00" + bytes(c for x in range(n) for c in pixel(x, y, n)) for y in range(n))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", n, n, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))

out = pathlib.Path(__file__).resolve().parent.parent / "crates/web/static"
for n in (192, 512):
    (out / f"icon-{n}.png").write_bytes(png(n))
    print(out / f"icon-{n}.png")
