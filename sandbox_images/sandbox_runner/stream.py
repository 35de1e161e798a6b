"""The service's stream: job frames in on stdin, replies out on stdout, each a 4-byte big-endian
length followed by UTF-8 JSON. Shared by the Python runner (`jobs.py`) and the runner of the
compiled languages (`native/`)."""

from __future__ import annotations

import json
import os
import struct

from sandbox_runner.bridge import read_exact
from sandbox_runner.child import utf8_safe

HEADER = struct.Struct(">I")
MAX_FRAME_BYTES = 256 * 1024 * 1024


def read_frame(fd: int) -> dict | None:
    header = read_exact(fd, HEADER.size)
    if header is None:
        return None
    (size,) = HEADER.unpack(header)
    if size > MAX_FRAME_BYTES:
        raise ValueError(f"frame of {size} bytes is too large")
    body = read_exact(fd, size)
    return None if body is None else json.loads(body)


def scrub(value: object) -> object:
    """Every string valid UTF-8 (no lone surrogates), so the service can always re-encode it."""
    if isinstance(value, str):
        return utf8_safe(value)
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def write_frame(fd: int, message: dict) -> None:
    body = json.dumps(scrub(message)).encode()
    data = HEADER.pack(len(body)) + body
    while data:
        data = data[os.write(fd, data) :]
