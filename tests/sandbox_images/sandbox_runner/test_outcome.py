"""The one classifier of how a watched process ended (`outcome.ended`), on run records made by
hand: no process is forked. Every way a program runs reaches its verdict through it."""

from __future__ import annotations

import signal

import pytest
from sandbox_runner.outcome import OUTPUT_LIMIT, TIMEOUT, Watched, ended, exit_outcome


def exited(code: int) -> int:
    return code << 8  # a wait status, as os.waitpid reports it


@pytest.mark.parametrize(
    ("seen", "expected"),
    [
        (Watched(wait_status=exited(0)), ("runtime_error", "exited with code 0")),
        (Watched(wait_status=exited(3)), ("runtime_error", "exited with code 3")),
        (
            Watched(wait_status=signal.SIGSEGV),
            ("runtime_error", f"killed by signal {signal.SIGSEGV:d}"),
        ),
        (Watched(wait_status=signal.SIGKILL), ("runtime_error", "killed by signal 9")),
        (
            Watched(wait_status=signal.SIGKILL, oom_killed=True),
            ("memory", "killed by the kernel (out of memory)"),
        ),
        (Watched(wait_status=signal.SIGXCPU), ("timeout", "CPU time limit exceeded")),
        (Watched(wait_status=None), ("runtime_error", "lost")),
        (Watched(timed_out=True, wait_status=signal.SIGKILL), tuple(TIMEOUT.values())),
        (Watched(output_exceeded=True, wait_status=signal.SIGKILL), tuple(OUTPUT_LIMIT.values())),
        # both: the output cap is named (it is what ended the run early)
        (Watched(output_exceeded=True, timed_out=True), tuple(OUTPUT_LIMIT.values())),
    ],
)
def test_how_a_process_ended(seen: Watched, expected: tuple[str, str]) -> None:
    result = ended(seen)
    assert (result["status"], result["detail"]) == expected


def test_a_runtime_that_says_it_ran_out_of_memory() -> None:
    signs = (b"std::bad_alloc",)
    said = b"terminate called after throwing an instance of 'std::bad_alloc'"
    assert ended(Watched(wait_status=signal.SIGABRT, stderr=said), memory_signs=signs) == {
        "status": "memory",
        "detail": "ran out of memory",
    }
    # a clean exit is no failure, whatever it printed; a timeout stays a timeout
    assert (
        ended(Watched(wait_status=exited(0), stderr=said), memory_signs=signs)["status"] != "memory"
    )
    assert ended(Watched(timed_out=True, stderr=said), memory_signs=signs) == TIMEOUT


def test_what_an_exit_cut_short_is_said() -> None:
    assert exit_outcome(exited(0), unfinished=" before the test finished") == {
        "status": "runtime_error",
        "detail": "exited with code 0 before the test finished",
    }


def test_the_record_tells_an_exit_code_from_a_kill() -> None:
    assert Watched(wait_status=exited(2)).exit_code == 2
    assert Watched(wait_status=signal.SIGKILL).exit_code is None
    assert Watched(wait_status=exited(0), timed_out=True).exit_code is None
    assert Watched(wait_status=signal.SIGKILL).killed
    assert not Watched(wait_status=signal.SIGTERM).killed
    assert not Watched().killed
