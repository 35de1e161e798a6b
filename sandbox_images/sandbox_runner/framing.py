"""Every length-prefixed frame the runner reads or writes: a 4-byte big-endian length, then the
payload. Two streams use them:

- the service's attach stream (stdin/stdout of the container): one JSON object a frame, a job
  in, a reply out (`read_message` / `write_message`), bounded by MAX_JOB_BYTES;
- the pipes between the runner's processes (the runner, the judge, a program process): control
  messages and plain-data answers (`send`, `send_all`, `Reader`), bounded by MAX_PIPE_BYTES.

One `Reader` serves a blocking pipe (`frame`, `message`: as few reads as it takes, one for a
small reply) and a non-blocking one (`pump`: the frames that completed). Whatever bytes arrive,
a reader returns whole frames, None at the end of the stream, or raises FrameError.

>>> import os
>>> r, w = os.pipe()
>>> send_all(w, [{"start": 0}, {"test": 0, "status": "passed"}])
>>> reader = Reader(r)
>>> reader.message(), reader.message()
({'start': 0}, {'test': 0, 'status': 'passed'})
>>> os.close(w); reader.message() is None
True
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Sequence

from sandbox_runner.text import scrub

HEADER = struct.Struct(">I")
MAX_JOB_BYTES = 256 * 1024 * 1024  # a job: a program and every test's input and output
MAX_PIPE_BYTES = 256 * 1024 * 1024  # one answer or message between our processes
READ_BYTES = 1 << 16


class FrameError(ValueError):
    """A frame over its stream's bound, or a message that is not a JSON object."""


class Reader:
    """Frames from one pipe, read with a buffer (keep one reader per pipe: it may read ahead)."""

    def __init__(self, fd: int, max_bytes: int = MAX_PIPE_BYTES) -> None:
        self.fd, self.max_bytes = fd, max_bytes
        self.buffer = bytearray()
        self.start = 0  # where the unread bytes begin (the read ones are dropped in bulk)
        self.closed = False  # `pump` saw the end of the stream

    def frame(self) -> bytes | None:
        """The next frame's payload, blocking until it is whole; None at the end of stream."""
        while (payload := self._take()) is None:
            unread = len(self.buffer) - self.start
            wanted = HEADER.size if unread < HEADER.size else self._size() + HEADER.size
            chunk = os.read(self.fd, max(READ_BYTES, wanted - unread))
            if not chunk:
                return None
            self.buffer += chunk
        return payload

    def message(self) -> dict | None:
        payload = self.frame()
        return None if payload is None else decode_message(payload)

    def ready(self) -> bool:
        """Whether a whole frame is buffered (`frame` would not read)."""
        unread = len(self.buffer) - self.start
        return unread >= HEADER.size and unread >= HEADER.size + self._size()

    def pump(self) -> list[bytes]:
        """One read of a non-blocking pipe, and every frame now complete."""
        try:
            chunk = os.read(self.fd, READ_BYTES)
        except BlockingIOError:
            chunk = None
        except OSError:
            chunk = b""
        if chunk == b"":
            self.closed = True
        elif chunk:
            self.buffer += chunk
        frames = []
        while (payload := self._take()) is not None:
            frames.append(payload)
        return frames

    def _size(self) -> int:
        (size,) = HEADER.unpack_from(self.buffer, self.start)
        if size > self.max_bytes:
            raise FrameError(
                f"a {size}-byte frame is too large (over the {self.max_bytes}-byte bound)"
            )
        return int(size)

    def _take(self) -> bytes | None:
        if len(self.buffer) - self.start < HEADER.size:
            return None
        begin = self.start + HEADER.size
        end = begin + self._size()
        if len(self.buffer) < end:
            return None
        payload = bytes(self.buffer[begin:end])
        self.start = end
        if self.start == len(self.buffer) or self.start > READ_BYTES * 16:
            del self.buffer[: self.start]  # one move for many frames
            self.start = 0
        return payload


def write_frame(fd: int, payload: bytes) -> None:
    data = HEADER.pack(len(payload)) + payload
    while data:
        data = data[os.write(fd, data) :]


_COMPACT = json.JSONEncoder(separators=(",", ":"))  # made once: json.dumps makes one a call


def json_bytes(message: dict) -> bytes:
    return _COMPACT.encode(message).encode()


def send(fd: int, message: dict) -> None:
    """A control message (JSON; plain values inside it are trees: `bridge.to_tree`)."""
    write_frame(fd, json_bytes(message))


def send_all(fd: int, messages: Sequence[dict]) -> None:
    """Control messages in one write (the reader wakes once for all of them)."""
    data = b"".join(HEADER.pack(len(p)) + p for p in map(json_bytes, messages))
    while data:
        data = data[os.write(fd, data) :]


def decode_message(payload: bytes) -> dict:
    """A control message from its payload; FrameError when it is not a JSON object."""
    try:
        message = json.loads(payload)
    except MemoryError:
        raise FrameError("a message too large for the memory limit (memory_mb)") from None
    except (ValueError, RecursionError) as exc:
        raise FrameError(f"malformed message ({type(exc).__name__})") from None
    if type(message) is not dict:
        raise FrameError("malformed message")
    return message


# --- the service's attach stream ---------------------------------------------------------


def read_message(reader: Reader) -> dict | None:
    """The next job from the service; None when it closed the stream."""
    payload = reader.frame()
    return None if payload is None else json.loads(payload)


def write_message(fd: int, message: dict) -> None:
    """A reply to the service, every string valid UTF-8 so it can always re-encode it."""
    write_frame(fd, json.dumps(scrub(message)).encode())
