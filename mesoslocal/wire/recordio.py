"""RecordIO framing of the v1 event streams: `<byte length>\\n<json>`, nothing between records (notes A5)."""

from __future__ import annotations

import json


def encode(event: dict) -> bytes:
    payload = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return str(len(payload)).encode("ascii") + b"\n" + payload


def decode_all(buffer: bytes) -> tuple[list[dict], bytes]:
    """Split complete records off the front of `buffer`; returns them and the unconsumed rest."""
    records: list[dict] = []
    while True:
        newline = buffer.find(b"\n")
        if newline < 0:
            return records, buffer
        length = int(buffer[:newline])
        end = newline + 1 + length
        if len(buffer) < end:
            return records, buffer
        records.append(json.loads(buffer[newline + 1:end]))
        buffer = buffer[end:]
