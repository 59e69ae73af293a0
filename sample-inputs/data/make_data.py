#!/usr/bin/env python3
"""Regenerates the data files the sample inputs read (deterministic; no numpy).

    python3 make_data.py        # from this folder

signal.npy   f64, shape (1024,): a noisy two-tone signal (reduce-npy.yaml)
sensor.csv   i32, 2000 rows:     temperature readings in tenths of a degree,
                                 with a few faulty spikes (filter-csv.yaml)
pixels.bin   i32, 8192 values:   a 128x64 8-bit grayscale image, raw
                                 little-endian (histogram-pixels.yaml)
"""
import math
import random
import struct
from pathlib import Path

HERE = Path(__file__).resolve().parent


def write_npy(path, descr, fmt, values):
    """NPY format v1.0: magic, version, u16 header length, header dict padded
    with spaces and ended by a newline so the data starts at a multiple of 64."""
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%d,), }" % (descr, len(values))
    total = 10 + len(header) + 1
    header += " " * ((64 - total % 64) % 64) + "\n"
    assert (10 + len(header)) % 64 == 0
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00")
        f.write(struct.pack("<H", len(header)))
        f.write(header.encode("latin1"))
        f.write(struct.pack("<%d%s" % (len(values), fmt), *values))


def signal():
    rng = random.Random(11)
    out = []
    for i in range(1024):
        t = i / 1024.0
        v = math.sin(2 * math.pi * 5 * t) + 0.3 * math.sin(2 * math.pi * 40 * t)
        out.append(v + rng.gauss(0.0, 0.05))
    return out


def sensor():
    rng = random.Random(12)
    out = []
    for i in range(2000):
        # a daily cycle around 4.0 degrees, +-12 degrees, plus noise
        v = 40 + 120 * math.sin(2 * math.pi * i / 1440.0) + rng.gauss(0.0, 8.0)
        if rng.random() < 0.01:                  # faulty sensor: a spike
            v = rng.choice((-1, 1)) * rng.randint(500, 990)
        out.append(int(round(v)))
    return out


def pixels():
    rng = random.Random(13)
    w, h = 128, 64
    out = []
    for y in range(h):
        for x in range(w):
            # a diagonal gradient with a bright disc and sensor noise
            v = 40 + 120 * (x + y) / (w + h)
            if (x - 80) ** 2 + (y - 30) ** 2 < 15 ** 2:
                v = 230
            v += rng.gauss(0.0, 6.0)
            out.append(max(0, min(255, int(round(v)))))
    return out


def main():
    write_npy(HERE / "signal.npy", "<f8", "d", signal())
    with open(HERE / "sensor.csv", "w") as f:
        for v in sensor():
            f.write("%d\n" % v)
    with open(HERE / "pixels.bin", "wb") as f:
        px = pixels()
        f.write(struct.pack("<%di" % len(px), *px))


if __name__ == "__main__":
    main()
