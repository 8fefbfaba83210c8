#!/usr/bin/env python3
"""Seed corpus of the fuzz targets, made from the fixtures in tests/data.

Each seed is a real trace: the small H100/H200 workload traces whole, and the
larger PyTorch corpus traces trimmed on the wire (every chunk keeps its
header, health, notes and strings, and at most MAX_RECORDS records of each
kind), so that every seed stays under MAX_SEED bytes. Plus a torn copy of one
(a process killed mid-write). Writes the same seeds into each target's folder.

    tests/fuzz/make_seeds.py        # from the repository root or anywhere
"""
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
DATA = HERE.parent / "data"
TARGETS = ["reader", "model", "report", "export"]
MAX_SEED = 24 * 1024
MAX_RECORDS = 24
# Chunk fields kept whole: sequence, header, health, note, string, clock.
KEEP_WHOLE = {1, 2, 3, 4, 5, 6}

# Fixture folders: the largest trace of each (the busiest process) is a seed.
FIXTURES = [
    "h100/seed-lazy",
    "h100/copy-engine",
    "h100/default-stream-blocking",
    "h100/module-reload",
    "h100/report",
    "h200/host-lock",
    "h200/time-slice",
    "h200/shared-queue",
    "h200/sm-saturated-batch",
    "h200/pageable",
    "corpus/h200-corpus/ipc-cold",
    "corpus/h200-corpus/allocator",
    "corpus/h200-corpus/gemm-side-copy",
    "corpus/h200-corpus/wait-stream",
    "corpus/h200-corpus/two-process",
    "corpus/h200-corpus-event-calls/wait-stream",  # EventCall records, no SYNCHRONIZATION (issue 12)
]


def varint(data, i):
    value, shift = 0, 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def encode_varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def fields(data):
    """(field number, the field's bytes on the wire) of one message."""
    i = 0
    while i < len(data):
        start = i
        key, i = varint(data, i)
        wire = key & 7
        if wire == 0:
            _, i = varint(data, i)
        elif wire == 1:
            i += 8
        elif wire == 2:
            length, i = varint(data, i)
            i += length
        elif wire == 5:
            i += 4
        else:
            raise ValueError(f"wire type {wire}")
        yield key >> 3, data[start:i]


def chunks(data):
    for number, raw in fields(data):
        assert number == 1, "a trace is a sequence of chunks"
        _, i = varint(raw, 1)
        yield raw[i:]


def trim(chunk):
    kept, seen = [], {}
    for number, raw in fields(chunk):
        seen[number] = seen.get(number, 0) + 1
        if number in KEEP_WHOLE or seen[number] <= MAX_RECORDS:
            kept.append(raw)
    return b"".join(kept)


def frame(chunk):
    return b"\x0a" + encode_varint(len(chunk)) + chunk


def seed_of(path):
    data = path.read_bytes()
    if len(data) <= MAX_SEED:
        return data
    out = b""
    for chunk in chunks(data):
        framed = frame(trim(chunk))
        if len(out) + len(framed) > MAX_SEED:
            break
        out += framed
    return out


def main():
    seeds = {}
    for fixture in FIXTURES:
        parts = pathlib.Path(fixture).parts
        variant = parts[1].removeprefix("h200-corpus-") if parts[1].startswith("h200-corpus-") else ""
        name = "-".join(p for p in (parts[0], variant, parts[-1]) if p) + ".trace"
        traces = sorted((DATA / fixture / "trace").glob("*.trace"))
        seeds[name] = seed_of(max(traces, key=lambda t: t.stat().st_size))
    lazy = seeds["h100-seed-lazy.trace"]
    seeds["h100-seed-lazy-torn.trace"] = lazy[: len(lazy) - 100]
    for target in TARGETS:
        folder = HERE / target
        folder.mkdir(exist_ok=True)
        for name, data in seeds.items():
            (folder / name).write_bytes(data)
    total = sum(len(d) for d in seeds.values())
    print(f"{len(seeds)} seeds, {total} bytes, in each of {', '.join(TARGETS)}")


if __name__ == "__main__":
    main()
