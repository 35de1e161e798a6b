"""The words the runner and the service share, pinned on both sides: a change to either alone
fails here (the runner's half is sandbox_runner/wire.py, the service's reward_service/sandbox)."""

from __future__ import annotations

from typing import get_args

from sandbox_runner import verdicts, wire

from reward_service.sandbox.base import (
    Job,
    JudgedIn,
    LoadPhase,
    ProgramTest,
    SandboxLimits,
    TestResult,
    TestStatus,
)
from reward_service.sandbox.wire import RunnerReply, job_frame


def test_test_statuses_phases_and_places_are_the_services() -> None:
    assert get_args(TestStatus) == wire.STATUSES
    assert get_args(LoadPhase) == wire.PHASES
    assert get_args(JudgedIn) == wire.JUDGED_IN
    # what a verdict line may report is a subset of what a result may say
    assert set(verdicts.STATUSES) <= set(wire.STATUSES)
    assert set(wire.PHASES) <= set(verdicts.PHASES)


def test_limits_are_the_services_under_the_same_names() -> None:
    assert tuple(SandboxLimits.model_fields) == wire.LIMITS + wire.COMPILE_LIMITS


def test_a_job_frame_has_the_keys_the_runner_reads() -> None:
    job = Job(program="x = 1", tests=(ProgramTest(code="assert x"),))
    assert tuple(job_frame(job, "id1")) == wire.JOB_KEYS


def test_a_reply_and_its_results_are_what_the_service_parses() -> None:
    assert tuple(RunnerReply.model_fields) == wire.REPLY_KEYS
    assert tuple(TestResult.model_fields) == wire.RESULT_KEYS
