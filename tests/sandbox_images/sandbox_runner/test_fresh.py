"""The runner's verdict logic without Docker: `decide` turns what was seen of a test child into a
result, `parse_verdicts` reads only the harness's own lines. (Through a real container:
test_runner_in_container.py; the watch loop itself: test_watch.py.)"""

from __future__ import annotations

import json
import os
import signal

import pytest
from sandbox_runner.compare import lines_of as normalize
from sandbox_runner.fresh import decide
from sandbox_runner.outcome import HarnessError, Watched
from sandbox_runner.outcome import exit_outcome as exit_detail
from sandbox_runner.verdicts import MAX_VERDICTS
from sandbox_runner.verdicts import lines as verdict_lines
from sandbox_runner.verdicts import parse as parse_verdicts
from sandbox_runner.verdicts import prefix as verdict_prefix

CODE = {"code": "assert f() == 1"}
STDIO = {"stdin": "", "stdout": "3\n"}


def seen(*verdicts: dict[str, object], **observed: object) -> Watched:
    watched = Watched()
    watched.verdicts = list(verdicts)
    for name, value in observed.items():
        setattr(watched, name, value)
    return watched


STARTED = {"phase": "started"}
LOADED = {"phase": "loaded"}


def final(phase: str, status: str, detail: str | None = None) -> dict[str, object]:
    return {"phase": phase, "status": status, "detail": detail}


def exited(code: int) -> int:
    return code << 8  # a wait status, as os.waitpid reports it


def killed(sig: int) -> int:
    return sig


def test_a_pass_needs_the_harness_report_after_loading() -> None:
    assert decide(CODE, seen(STARTED, LOADED, final("test", "passed"))) == {
        "status": "passed",
        "detail": None,
    }


def test_no_started_line_is_our_failure_not_the_programs() -> None:
    with pytest.raises(HarnessError):
        decide(CODE, seen(wait_status=exited(98)))


@pytest.mark.parametrize(
    ("observed", "status"),
    [
        ({"wait_status": exited(0)}, "runtime_error"),  # os._exit(0) while loading
        ({"wait_status": killed(signal.SIGKILL), "oom_killed": False}, "runtime_error"),
        ({"wait_status": killed(signal.SIGKILL), "oom_killed": True}, "memory"),
        ({"timed_out": True, "wait_status": killed(signal.SIGKILL)}, "timeout"),
        ({"output_exceeded": True, "wait_status": killed(signal.SIGKILL)}, "output_limit"),
    ],
)
def test_ending_before_loaded_is_a_load_failure_in_the_code_forms(
    observed: dict[str, object], status: str
) -> None:
    result = decide(CODE, seen(STARTED, **observed))
    assert (result["status"], result.get("phase")) == (status, "load")
    if status == "timeout":
        assert "while loading" in result["detail"]


def test_ending_after_loaded_fails_the_test_only() -> None:
    result = decide(CODE, seen(STARTED, LOADED, wait_status=exited(0)))
    assert result["status"] == "runtime_error" and "phase" not in result
    assert "exited with code 0" in result["detail"]


def test_compile_and_module_level_failures_keep_their_phase() -> None:
    compile_error = decide(CODE, seen(STARTED, final("compile", "runtime_error", "SyntaxError")))
    assert compile_error == {"status": "runtime_error", "detail": "SyntaxError", "phase": "compile"}
    raised = decide(CODE, seen(STARTED, final("load", "memory", "MemoryError")))
    assert (raised["status"], raised["phase"]) == ("memory", "load")


def test_a_test_that_does_not_compile_is_no_load_failure() -> None:
    result = decide(CODE, seen(STARTED, final("test", "runtime_error", "test: SyntaxError")))
    assert result["status"] == "runtime_error" and "phase" not in result


def test_stdio_verdict_is_the_runners_comparison() -> None:
    reported = seen(STARTED, final("test", "passed"), stdout=bytearray(b"3  \n\n"))
    assert decide(STDIO, reported)["status"] == "passed"  # trailing space and blank lines
    wrong = seen(STARTED, final("test", "passed"), stdout=bytearray(b"4\n"))
    assert decide(STDIO, wrong) == {
        "status": "failed",
        "detail": "stdout differs from the expected output",
    }


def test_stdio_crash_is_no_load_failure() -> None:
    result = decide(STDIO, seen(STARTED, wait_status=exited(1)))
    assert result["status"] == "runtime_error" and "phase" not in result


def test_unknown_statuses_and_odd_details_are_made_safe() -> None:
    result = decide(CODE, seen(STARTED, LOADED, final("test", "forged")))
    assert result["status"] == "runtime_error"
    odd = decide(CODE, seen(STARTED, LOADED, {"phase": "test", "status": "failed", "detail": 7}))
    assert odd == {"status": "failed", "detail": None}


def test_stderr_explains_a_runtime_error_without_detail() -> None:
    stderr = bytearray(b"Traceback...\nZeroDivisionError: division by zero\n")
    result = decide(CODE, seen(STARTED, LOADED, wait_status=killed(signal.SIGSEGV), stderr=stderr))
    assert result["detail"] == f"killed by signal {int(signal.SIGSEGV)}"
    result = decide(CODE, seen(STARTED, LOADED, final("test", "runtime_error"), stderr=stderr))
    assert result["detail"] == "ZeroDivisionError: division by zero"


def test_cpu_limit_is_a_timeout() -> None:
    assert exit_detail(killed(signal.SIGXCPU))["status"] == "timeout"
    assert exit_detail(None) == {"status": "runtime_error", "detail": "lost"}


def test_only_lines_with_this_tests_token_are_verdicts() -> None:
    token, other = "a" * 32, "b" * 32
    lines = verdict_lines(token)
    data = b"".join(
        [
            b'{"token": "' + other.encode() + b'", "phase": "test", "status": "passed"}\n',
            b'{"phase": "test", "status": "passed"}\n',  # forged, no token
            verdict_prefix(token) + b"[" * 100_000 + b"\n",  # garbage after the prefix
            lines["started"],
            lines["test", "failed"] + json.dumps("AssertionError").encode() + b"}\n",
        ]
    )
    assert parse_verdicts(data, token) == [
        {"phase": "started"},
        {"phase": "test", "status": "failed", "detail": "AssertionError"},
    ]


def test_verdicts_are_capped() -> None:
    token = "c" * 32
    data = verdict_lines(token)["started"] * (MAX_VERDICTS * 4)
    assert len(parse_verdicts(data, token)) == MAX_VERDICTS


def test_every_prebuilt_verdict_line_starts_on_a_line_of_its_own() -> None:
    token = os.urandom(16).hex()
    for line in verdict_lines(token).values():
        assert line.startswith(b"\n" + verdict_prefix(token))


def test_normalize_drops_trailing_space_and_blank_lines_only() -> None:
    assert normalize(" a  \nb\t\n\n\n") == [" a", "b"]
    assert normalize("") == []
