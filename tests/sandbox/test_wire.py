"""The frames exchanged with the runner: a job's frame, and replies parsed into one typed result."""

from __future__ import annotations

import pytest

from reward_service.sandbox.base import Job, ProgramTest, SandboxLimits
from reward_service.sandbox.errors import ContainerLost
from reward_service.sandbox.wire import RunnerReply, job_frame

JOB = Job(
    program="x = 1",
    tests=(ProgramTest(code="assert x == 1"), ProgramTest(stdin="1", stdout="1")),
    limits=SandboxLimits(timeout_s=2, processes=8, file_size_mb=4),
)


def test_a_job_frame_carries_the_limits_under_their_own_names() -> None:
    frame = job_frame(JOB, "j1")
    assert frame["tests"] == [{"code": "assert x == 1"}, {"stdin": "1", "stdout": "1"}]
    assert frame["limits"] == {
        "timeout_s": 2.0,
        "memory_mb": 256,
        "output_bytes": 65536,
        "processes": 8,
        "file_size_mb": 4,
        "compile_timeout_s": 30.0,
        "compile_memory_mb": 2048,
    }
    assert (frame["language"], frame["kind"]) == ("python", "program")


def test_a_reply_is_parsed_with_its_clean_flag_and_phases() -> None:
    frame = {
        "id": "j1",
        "tests": [{"status": "runtime_error", "detail": "boom", "phase": "load"}],
        "clean": True,
        "elapsed_ms": 3.5,
    }
    reply = RunnerReply.parse(frame, "j1")
    assert reply.clean is True
    result = reply.result()
    assert result.load_failure is not None and result.load_failure.phase == "load"
    assert result.elapsed_ms == 3.5
    assert "phase" not in result.tests[0].model_dump()  # internal: not part of the HTTP contract


def test_a_reply_without_clean_is_taken_as_unclean() -> None:
    assert RunnerReply.parse({"id": "j", "tests": []}, "j").clean is False


@pytest.mark.parametrize(
    ("frame", "why"),
    [
        ({"id": "j1", "error": "Traceback ..."}, "runner failed"),
        ({"id": "j2", "tests": []}, "expected 'j1'"),
        ({"id": "j1", "tests": [{"status": "forged"}]}, "unexpected reply"),
        ({"id": "j1"}, "unexpected reply"),
    ],
)
def test_bad_replies_are_a_lost_container(frame: dict[str, object], why: str) -> None:
    with pytest.raises(ContainerLost, match=why):
        RunnerReply.parse(frame, "j1")
