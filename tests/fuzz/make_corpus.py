#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/{csv,npy,checkpoint}/).

    python3 tests/fuzz/make_corpus.py build/diffflow

The .csv and .npy seeds are written here byte by byte (every dtype, order, version and the
malformed cases the readers name); the checkpoint seeds are real checkpoints of tiny runs of the
three models (W = 2, so each is a few KiB), plus one converted to the earlier format 01.
"""
import os
import struct
import subprocess
import zlib
import sys
import tempfile

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(kind, name, data):
    os.makedirs(os.path.join(HERE, kind), exist_ok=True)
    with open(os.path.join(HERE, kind, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def npy(major, descr, fortran, shape, payload):
    d = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape)
    pre = 10 if major == 1 else 12
    while (pre + len(d) + 1) % 64:
        d += " "
    d += "\n"
    length = struct.pack("<H" if major == 1 else "<I", len(d))
    return b"\x93NUMPY" + bytes([major, 0]) + length + d.encode() + payload


def csv_seeds():
    put("csv", "plain.csv", "1,2\n3,4\n5,6\n")
    put("csv", "header_crlf.csv", "x,y\r\n0.5,-1e-3\r\n2,3\r\n")
    put("csv", "comments.csv", "# a comment\n\n1 , 2\n\n# more\n3,4\n")
    put("csv", "bom.csv", "\ufeffa,b,c\n1,2,3\n")
    put("csv", "one_col.csv", "7\n8\n9")
    put("csv", "ragged.csv", "1,2\n3,4,5\n")
    put("csv", "nonfinite.csv", "1,nan\ninf,-inf\n1e999,2\n")
    put("csv", "hex.csv", "0x1p3,1\n")
    put("csv", "empty_cell.csv", "1,,2\n")


def npy_seeds():
    put("npy", "f8_c.npy", npy(1, "<f8", "False", "(2, 2)", struct.pack("<4d", 1, 2, 3, 4)))
    put("npy", "f4_fortran.npy", npy(1, "<f4", "True", "(2, 3)", struct.pack("<6f", 1, 2, 3, 4, 5, 6)))
    put("npy", "i8_1d.npy", npy(1, "<i8", "False", "(3,)", struct.pack("<3q", -1, 0, 1)))
    put("npy", "i4_v2.npy", npy(2, "<i4", "False", "(1, 2)", struct.pack("<2i", 7, -7)))
    put("npy", "f8_v3_nan.npy", npy(3, "<f8", "False", "(1, 1)", struct.pack("<d", float("nan"))))
    put("npy", "truncated.npy", npy(1, "<f8", "False", "(4, 2)", struct.pack("<2d", 1, 2)))
    put("npy", "big_endian.npy", npy(1, ">f8", "False", "(1, 1)", struct.pack(">d", 1)))


def checkpoint_seeds(binary):
    tiny = ["--iters", "3", "--batch", "16", "--steps", "2", "--width", "2", "--layers", "0", "--save-every", "1",
            "--device", "cpu", "--quiet", "--samples", "0"]
    runs = {
        "diffflow": ["--data", "moons"],
        "diffflow_schedules": ["--data", "carpet:2", "--g", "0.1,0.2,0.3", "--progressive", "1:0,2:2",
                               "--randomize-grid", "--grid", "linear", "--t-end", "0.5"],
        "ddpm": ["--model", "ddpm", "--data", "8gaussians"],
        "ffjord": ["--model", "ffjord", "--data", "circles"],
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, args in runs.items():
            out = os.path.join(tmp, name)
            subprocess.run([binary, "train", *tiny, *args, "--out", out], check=True)
            with open(os.path.join(out, "checkpoint.bin"), "rb") as f:
                data = f.read()
            put("checkpoint", name + ".bin", data)
        put("checkpoint", "diffflow_v01.bin", to_v01(open(os.path.join(tmp, "diffflow", "checkpoint.bin"), "rb").read()))


def to_v01(b):
    """The same checkpoint in the earlier format 01: no identity keys, no type bytes, no log."""
    payload = b[20:]
    header, rest = payload.split(b"\n\n", 1)
    lines = [l for l in header.split(b"\n") if l.split(b"=")[0] not in (b"data_size", b"data_sha256", b"diverge")]
    entries, pos = b"", 0
    while pos < len(rest):
        z = rest.index(b"\0", pos)
        name, kind, count = rest[pos:z], rest[z + 1:z + 2], struct.unpack("<Q", rest[z + 2:z + 10])[0]
        size = count * (4 if kind == b"f" else 1)
        if kind == b"f":
            entries += name + b"\0" + rest[z + 2:z + 10] + rest[z + 10:z + 10 + size]
        pos = z + 10 + size
    payload = b"\n".join(lines) + b"\n\n" + entries
    return b"DFCKPT01" + struct.pack("<Q", len(payload)) + struct.pack("<I", zlib.crc32(payload)) + payload


if __name__ == "__main__":
    csv_seeds()
    npy_seeds()
    checkpoint_seeds(sys.argv[1])
