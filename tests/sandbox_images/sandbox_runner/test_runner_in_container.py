"""The in-container runner's verdicts, through a real container (one job at a time)."""

from __future__ import annotations

import zlib

import pytest

from reward_service.sandbox import Job, JobResult, ProgramTest, SandboxLimits
from tests.docker_support import docker_pool

pytestmark = pytest.mark.docker

FAST = SandboxLimits(timeout_s=2.0, memory_mb=128, output_bytes=4096)


def code_job(program: str, *tests: str, limits: SandboxLimits = FAST) -> Job:
    return Job(program=program, tests=tuple(ProgramTest(code=t) for t in tests), limits=limits)


def stdio_job(program: str, *pairs: tuple[str, str], limits: SandboxLimits = FAST) -> Job:
    tests = tuple(ProgramTest(stdin=i, stdout=o) for i, o in pairs)
    return Job(program=program, tests=tests, limits=limits)


async def run(*jobs: Job) -> list[JobResult]:
    async with docker_pool(pool_size=1) as sandbox:
        return await sandbox.run(list(jobs))


def statuses(result: JobResult) -> list[str]:
    assert result.infra_error is None, result.infra_error
    return [t.status for t in result.tests]


async def test_assert_tests_pass_and_fail_one_by_one() -> None:
    (result,) = await run(
        code_job(
            "def add(a, b):\n    return a + b\n", "assert add(1, 2) == 3", "assert add(1, 1) == 3"
        )
    )
    assert statuses(result) == ["passed", "failed"]
    assert result.load_failure is None


async def test_each_test_starts_from_the_freshly_loaded_program() -> None:
    program = "seen = []\n"
    (result,) = await run(
        code_job(program, "seen.append(1)\nassert seen == [1]", "assert seen == []")
    )
    assert statuses(result) == ["passed", "passed"]


async def test_compile_error_and_module_level_raise_are_load_failures() -> None:
    broken, raising = await run(
        code_job("def f(:\n", "assert f()", "assert f()"),
        code_job("raise ValueError('boom')\n", "pass"),
    )
    assert broken.load_failure is not None and broken.load_failure.phase == "compile"
    assert "SyntaxError" in (broken.load_failure.detail or "")
    assert len(broken.tests) == 2
    assert raising.load_failure is not None and raising.load_failure.phase == "load"
    assert "ValueError: boom" in (raising.load_failure.detail or "")


async def test_stdio_comparison_ignores_trailing_space_and_blank_lines_only() -> None:
    echo = "import sys\nsys.stdout.write(sys.stdin.read())\n"
    (result,) = await run(
        stdio_job(
            echo,
            ("a  \nb\n\n\n", "a\nb"),  # trailing whitespace and blank lines: equal
            ("a\nb\n", "a\n"),  # an extra line
            ("a\n", "a\nb\n"),  # a missing line
            (" a\n", "a\n"),  # leading space matters
        )
    )
    assert statuses(result) == ["passed", "failed", "failed", "failed"]


async def test_stdio_crash_fails_that_input_only() -> None:
    program = "n = int(input())\nprint(10 // n)\n"
    (result,) = await run(stdio_job(program, ("2", "5"), ("0", "x"), ("5", "2")))
    assert statuses(result) == ["passed", "runtime_error", "passed"]
    assert "ZeroDivisionError" in (result.tests[1].detail or "")
    assert result.load_failure is None


async def test_stdio_program_may_end_with_sys_exit_zero() -> None:
    (result,) = await run(stdio_job("import sys\nprint(7)\nsys.exit(0)\n", ("", "7")))
    assert statuses(result) == ["passed"]


async def test_resource_statuses() -> None:
    loop, hog, chatty, exits = await run(
        code_job("def f():\n    while True: pass\n", "f()"),
        code_job("def f():\n    return bytearray(1 << 30)\n", "f()"),
        code_job("def f():\n    while True: print('x' * 1000)\n", "f()"),
        code_job("import os\ndef f():\n    os._exit(0)\n", "f()"),
    )
    assert statuses(loop) == ["timeout"]
    assert statuses(hog) == ["memory"]
    assert statuses(chatty) == ["output_limit"]
    assert statuses(exits) == ["runtime_error"]


async def test_module_level_timeout_fails_every_test_without_rerunning() -> None:
    limits = SandboxLimits(timeout_s=0.5, memory_mb=128, output_bytes=4096)
    (result,) = await run(code_job("while True: pass\n", "pass", "pass", "pass", limits=limits))
    assert statuses(result) == ["timeout"] * 3
    assert result.elapsed_ms < 1500  # one timeout, not three
    assert result.load_failure is not None and result.load_failure.phase == "load"
    assert "while loading" in (result.load_failure.detail or "")


async def test_ending_the_process_while_loading_is_a_load_failure() -> None:
    # otherwise `except BaseException: os._exit(1)` would trade the load penalty for a 0.0
    exits, killed, hog, ok_then_exits = await run(
        code_job("import os\nos._exit(0)\n", "pass", "pass"),
        code_job("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n", "pass"),
        code_job("hog = b'x' * (1 << 30)\n", "pass"),
        code_job("import os\ndef f():\n    os._exit(0)\n", "f()", "pass"),
    )
    for result in (exits, killed, hog):
        assert result.load_failure is not None and result.load_failure.phase == "load", result
    assert statuses(exits) == ["runtime_error"] * 2
    assert statuses(hog) == ["memory"]
    assert ok_then_exits.load_failure is None  # it loaded; the test ended the process
    assert statuses(ok_then_exits) == ["runtime_error", "passed"]


async def test_a_fault_in_a_call_asked_ahead_is_charged_to_the_test_that_made_it() -> None:
    # the program runs the job's literal calls before the judge reaches their tests: a crash,
    # a hang, a flood or an exit in the 4th call fails the 4th test, and the 5th and 6th run
    # in a fresh load
    tests = [f"assert f({x}) == {x}" for x in range(1, 7)]
    crash = "import os, signal\ndef f(x):\n    if x == 4:\n        os.kill(os.getpid(), 9)\n"
    hang = "def f(x):\n    while x == 4:\n        pass\n"
    flood = "def f(x):\n    while x == 4:\n        print('x' * 1000)\n"
    # a child it left behind holds the answers' pipe open: the judge still learns of the end
    orphan = "import os, time\ndef f(x):\n    if x == 4:\n        os.fork() or time.sleep(60)\n"
    orphan += "        os._exit(3)\n"
    faults = ("killed by signal 9", "wall-clock", "output exceeded", "exited with code 3")
    results = await run(
        *(code_job(head + "    return x\n", *tests) for head in (crash, hang, flood, orphan))
    )
    for result, detail in zip(results, faults, strict=True):
        assert statuses(result)[:3] == ["passed"] * 3, result
        assert statuses(result)[3] != "passed" and detail in (result.tests[3].detail or "")
        assert statuses(result)[4:] == ["passed"] * 2, result


async def test_calls_asked_ahead_may_each_print_up_to_the_per_test_cap() -> None:
    # 3000 bytes a call under a 4096-byte cap per test: fine one by one, and so when the
    # program runs all six calls during the first test's window
    chatty = "def f(x):\n    print('x' * 3000)\n    return x\n"
    (result,) = await run(code_job(chatty, *(f"assert f({x}) == {x}" for x in range(6))))
    assert statuses(result) == ["passed"] * 6


async def test_a_test_that_does_not_compile_is_no_load_failure() -> None:
    (result,) = await run(code_job("x = 1\n", "assert x ==", "assert x == 1"))
    assert statuses(result) == ["runtime_error", "passed"]
    assert result.load_failure is None
    assert (result.tests[0].detail or "").startswith("test: SyntaxError")


async def test_replies_carry_no_lone_surrogates() -> None:
    raising, echo = await run(
        code_job("def f():\n    raise ValueError(chr(0xD800))\n", "f()"),
        stdio_job("import sys\nprint(input())\n", ("\ud800\n", "\ud800")),
    )
    assert statuses(raising) == ["runtime_error"]
    assert raising.tests[0].detail == "ValueError: \\ud800"
    assert statuses(echo) in (["failed"], ["runtime_error"])
    for result in (raising, echo):
        result.model_dump_json()  # would raise on a lone surrogate


async def test_program_runs_unprivileged_in_an_empty_environment() -> None:
    program = (
        "import os\n"
        "print(os.getuid() != 0, os.geteuid() != 0, sorted(os.environ))\n"
        "print(open('/proc/self/status').read().split('CapEff:')[1].split()[0])\n"
    )
    (result,) = await run(
        stdio_job(program, ("", "True True ['HOME', 'LANG', 'PATH']\n0000000000000000"))
    )
    assert statuses(result) == ["passed"]


async def test_no_sysv_ipc_objects_can_outlive_a_job() -> None:
    program = (
        "import ctypes\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "IPC_CREAT = 0o1000\n"
        "print(libc.shmget(1234, 4096, IPC_CREAT | 0o600), libc.msgget(1234, IPC_CREAT | 0o600),"
        " libc.semget(1234, 1, IPC_CREAT | 0o600))\n"
    )
    (result,) = await run(stdio_job(program, ("", "-1 -1 -1")))
    assert statuses(result) == ["passed"]


async def test_oom_kill_is_memory_and_other_sigkills_are_not() -> None:
    big = SandboxLimits(timeout_s=10.0, memory_mb=8192, output_bytes=4096)
    oom, self_kill = await run(
        # beyond the container's cgroup limit (RLIMIT_AS is higher here): the kernel kills it
        code_job("def f():\n    return b'x' * (3 << 30)\n", "f()", limits=big),
        code_job("import os, signal\ndef f():\n    os.kill(os.getpid(), signal.SIGKILL)\n", "f()"),
    )
    assert statuses(oom) == ["memory"]
    assert statuses(self_kill) == ["runtime_error"]
    assert "signal 9" in (self_kill.tests[0].detail or "")


async def test_every_load_gets_its_own_random_seed() -> None:
    # forked processes would otherwise share their parent's generator state
    program = "import random\nvalue = repr(random.random())\n"
    write = "open('/tmp/first', 'w').write(value)"
    compare = "assert open('/tmp/first').read() != value"
    for isolation in ("per_test", "shared"):
        job = Job(
            program=program,
            tests=(ProgramTest(code=write), ProgramTest(code=compare)),
            limits=FAST,
            isolation=isolation,
        )
        (result,) = await run(job)
        expected = ["passed", "passed"] if isolation == "per_test" else ["passed", "failed"]
        assert statuses(result) == expected, isolation  # shared: one load, one value


def early(job: Job, **fields: object) -> Job:
    return job.model_copy(update=fields)


async def test_stop_on_first_failure_skips_the_rest_in_every_form() -> None:
    wrong = "def f(x):\n    return x + (x == 2)\n"
    asserts = code_job(wrong, *(f"assert f({x}) == {x}" for x in range(1, 6)))
    inside = code_job(
        "class P:\n    def __init__(self, x): self.x = x + (x == 2)\n",
        *(f"assert P({x}).x == {x}" for x in range(1, 5)),
    )
    stdio = stdio_job("x = int(input())\nprint(x + (x == 2))\n", ("1", "1"), ("2", "2"), ("3", "3"))
    per_test = early(stdio, isolation="per_test")
    results = await run(
        *(early(job, stop_on_first_failure=True) for job in (asserts, inside, stdio, per_test)),
        asserts,  # without the option every test runs, as ever
    )
    assert statuses(results[0]) == ["passed", "failed", "skipped", "skipped", "skipped"]
    assert results[0].tests[2].detail == "not run: an earlier test did not pass"
    assert statuses(results[1]) == ["passed", "failed", "skipped", "skipped"]
    assert statuses(results[2]) == ["passed", "failed", "skipped"]
    assert statuses(results[3]) == ["passed", "failed", "skipped"]
    assert statuses(results[4]) == ["passed", "failed", "passed", "passed", "passed"]


async def test_a_deadline_for_the_item_times_out_the_test_running_and_skips_the_rest() -> None:
    slow = "import time\ndef f(x):\n    time.sleep(0.4)\n    return x\n"
    job = early(code_job(slow, *(f"assert f({x}) == {x}" for x in range(8))), deadline_s=1.0)
    stdio = stdio_job("import time\ntime.sleep(0.4)\nprint(input())\n", *[("1", "1")] * 8)
    (result, stdio_result) = await run(job, early(stdio, deadline_s=1.0))
    for outcome in (result, stdio_result):
        got = statuses(outcome)
        assert got[:2] == ["passed", "passed"] and got[-1] == "skipped", got
        assert "timeout" in got and set(got) <= {"passed", "timeout", "skipped"}, got
        timed_out = next(t for t in outcome.tests if t.status == "timeout")
        assert "deadline_s" in (timed_out.detail or "")
        assert outcome.load_failure is None  # a deadline never turns into a load failure
        assert outcome.elapsed_ms < 2500


async def test_megabytes_of_binary_stdin_reach_the_program_as_bytes() -> None:
    data = bytes(range(256)) * 15_000  # 3.8 MB, every byte value
    program = "import sys, zlib\nd = sys.stdin.buffer.read()\nprint(len(d), zlib.crc32(d))\n"
    expected = f"{len(data)} {zlib.crc32(data)}\n"
    job = stdio_job(program, (data.decode("utf-8", "surrogateescape"), expected))
    (shared, per_test) = await run(job, early(job, isolation="per_test"))
    assert statuses(shared) == statuses(per_test) == ["passed"]


async def test_large_literal_arguments_and_results_cross() -> None:
    big = list(range(300_000))
    limits = SandboxLimits(timeout_s=20.0, memory_mb=1024, output_bytes=4096)
    (result,) = await run(
        code_job(
            "def rev(xs):\n    return xs[::-1]\ndef count(n):\n    return list(range(n))\n",
            f"assert rev({big!r}) == {big[::-1]!r}",
            "assert len(count(2_000_000)) == 2_000_000",
            limits=limits,
        )
    )
    assert statuses(result) == ["passed", "passed"]
    (small,) = await run(code_job("def rev(xs):\n    return xs\n", f"assert rev({big!r})"))
    assert statuses(small) == ["memory"] and "memory_mb" in (small.tests[0].detail or "")
