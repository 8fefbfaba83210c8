#!/usr/bin/env python3
"""Seed corpus of the fuzz targets, made from the fixtures in tests/data.

Each seed is a real trace: the small H100/H200 workload traces whole, and the
larger PyTorch corpus traces trimmed on the wire (every chunk keeps its
header, health, notes and strings, and at most MAX_RECORDS records of each
kind), so that every seed stays under MAX_SEED bytes. Plus a torn copy of one
(a process killed mid-write), and checksummed copies of three (a CRC32C after
every chunk, as today's recorder writes them), one with a damaged chunk.
Writes the same seeds into each target's folder.

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
        if number == 2:  # TraceFile.chunk_crc32c after a chunk
            continue
        assert number == 1, "a trace is a sequence of chunks"
        _, i = varint(raw, 1)
        yield raw[i:]


def crc32c(data):
    """CRC32C (Castagnoli), as src/checksum/crc32c.cpp computes it."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def checksummed(trace):
    """The trace as today's recorder frames it: a CRC32C after every chunk."""
    out = bytearray()
    for chunk in chunks(trace):
        out += b"\x0a" + encode_varint(len(chunk)) + chunk + b"\x15" + crc32c(chunk).to_bytes(4, "little")
    return bytes(out)


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
    # Today's framing, a CRC32C after every chunk (issue 21): whole, and with
    # one byte flipped in its second chunk (a damaged chunk, skipped).
    for base in ("h100-seed-lazy", "h200-host-lock", "corpus-event-calls-wait-stream"):
        seeds[f"{base}-checksummed.trace"] = checksummed(seeds[f"{base}.trace"])
    damaged = bytearray(seeds["h100-seed-lazy-checksummed.trace"])
    first = len(next(chunks(damaged))) + 8
    damaged[first + 40] ^= 0x04
    seeds["h100-seed-lazy-checksummed-damaged.trace"] = bytes(damaged)
    for target in TARGETS:
        folder = HERE / target
        folder.mkdir(exist_ok=True)
        for name, data in seeds.items():
            (folder / name).write_bytes(data)
    total = sum(len(d) for d in seeds.values())
    print(f"{len(seeds)} seeds, {total} bytes, in each of {', '.join(TARGETS)}")


if __name__ == "__main__":
    main()
