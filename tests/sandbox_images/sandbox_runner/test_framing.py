"""The runner's frames without Docker (the service's attach stream and the pipes between the
runner's processes), and the one job format it shares with the service."""

from __future__ import annotations

import os

import pytest
from sandbox_runner import framing
from sandbox_runner.framing import FrameError, Reader, read_message
from sandbox_runner.framing import write_message as write_frame
from sandbox_runner.text import scrub, utf8_safe
from sandbox_runner.wire import COMPILE_LIMITS, JOB_KEYS, LIMITS

from reward_service.sandbox.base import Job, ProgramTest, SandboxLimits
from reward_service.sandbox.wire import job_frame


def test_frames_round_trip_through_a_pipe() -> None:
    read_fd, write_fd = os.pipe()
    try:
        write_frame(write_fd, {"id": "x", "tests": [{"status": "passed"}], "detail": "\ud800"})
        os.close(write_fd)
        stream = Reader(read_fd, framing.MAX_JOB_BYTES)
        assert read_message(stream) == {
            "id": "x",
            "tests": [{"status": "passed"}],
            "detail": "\\ud800",  # lone surrogates are escaped, so the service can re-encode
        }
        assert read_message(stream) is None  # end of stream: the service went away
    finally:
        os.close(read_fd)


def test_an_oversized_frame_is_refused() -> None:
    read_fd, write_fd = os.pipe()
    try:
        os.write(write_fd, (1 << 31).to_bytes(4, "big"))
        with pytest.raises(ValueError, match="too large"):
            read_message(Reader(read_fd, framing.MAX_JOB_BYTES))
    finally:
        os.close(read_fd)
        os.close(write_fd)


def test_scrub_reaches_every_string() -> None:
    assert scrub({"a": ["\udc80", {"b": "ok"}], "n": 1}) == {"a": ["\\udc80", {"b": "ok"}], "n": 1}
    assert utf8_safe("plain") == "plain"


def test_the_runner_reads_the_limits_under_the_services_names() -> None:
    job = Job(program="x = 1", tests=(ProgramTest(code="assert x"),), limits=SandboxLimits())
    frame = job_frame(job, "id1")
    assert tuple(frame) == JOB_KEYS  # the runner reads these (wire.py)
    both = LIMITS + COMPILE_LIMITS  # the Python runner's, then the compiled languages' own
    assert tuple(frame["limits"]) == both == tuple(SandboxLimits.model_fields)


def test_pipe_frames_are_read_whole_and_one_by_one() -> None:
    read_fd, write_fd = os.pipe()
    reader = Reader(read_fd)
    payloads = [b"", b"x", b"y" * 50_000, b"zzz"]
    data = b"".join(framing.HEADER.pack(len(p)) + p for p in payloads)
    os.write(write_fd, data[:3])  # a header split across writes
    os.write(write_fd, data[3:])
    os.close(write_fd)
    assert [reader.frame() for _ in payloads] == payloads
    assert reader.frame() is None
    os.close(read_fd)


def test_an_oversized_pipe_frame_is_refused_before_it_is_read() -> None:
    read_fd, write_fd = os.pipe()
    os.write(write_fd, framing.HEADER.pack(framing.MAX_PIPE_BYTES + 1))
    with pytest.raises(FrameError, match="over the"):
        Reader(read_fd).frame()
    os.close(read_fd)
    os.close(write_fd)


def test_a_message_must_be_a_json_object() -> None:
    with pytest.raises(FrameError):
        framing.decode_message(b"[1, 2]")


def test_pump_reads_the_frames_that_completed() -> None:
    read_fd, write_fd = os.pipe()
    os.set_blocking(read_fd, False)
    reader = Reader(read_fd)
    assert reader.pump() == [] and not reader.closed
    framing.send_all(write_fd, [{"a": 1}, {"b": 2}])
    os.write(write_fd, framing.HEADER.pack(5) + b"ab")  # a frame still coming
    assert [framing.decode_message(f) for f in reader.pump()] == [{"a": 1}, {"b": 2}]
    os.write(write_fd, b"cde")
    os.close(write_fd)
    assert reader.pump() == [b"abcde"]
    assert reader.pump() == [] and reader.closed
    os.close(read_fd)
