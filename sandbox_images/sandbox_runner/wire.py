"""The runner's half of the vocabulary it shares with the service (reward_service/sandbox/base.py
and wire.py hold the other half; tests/sandbox_images/sandbox_runner/test_wire_vocabulary.py
fails when the two drift apart).

Frames on the attach stream (`framing.py`):
    first, the runner's hello: {"ready": true, "uid": int, "toolchain": {language: version}}
    in:   a job   {JOB_KEYS}, `limits` carrying LIMITS (and COMPILE_LIMITS) under these names,
                  each test {"code"}, {"stdin", "stdout", "compare"} (a checker case: "output")
                  or {"call": {"args", "kwargs", "expected"}} (plain-data trees, `bridge.py`);
                  `dialect`: the C/C++ -std or Rust edition the item chose (null: the default)
    out:  a reply {REPLY_KEYS}, one result per test with RESULT_KEYS, or {"id", "error", "clean"}
          when our side failed before the program ran (the service retries elsewhere)
"""

from __future__ import annotations

JOB_KEYS = (
    "id",
    "language",
    "kind",
    "program",
    "tests",
    "limits",
    "isolation",
    "judge_in",
    "entry_point",
    "stop_on_first_failure",
    "deadline_s",
    "call_check",
    "dialect",
)
# a job's limits: the service's SandboxLimits fields, under the same names
LIMITS = ("timeout_s", "memory_mb", "output_bytes", "processes", "file_size_mb")
COMPILE_LIMITS = ("compile_timeout_s", "compile_memory_mb")  # the compiled languages' own

HELLO_KEYS = ("ready", "uid", "toolchain")
REPLY_KEYS = ("id", "tests", "clean", "elapsed_ms", "compile_ms")
ERROR_KEYS = ("id", "error", "clean")
RESULT_KEYS = ("status", "detail", "judged_in", "score", "stdout", "phase")

# a test's status (the service's TestStatus); `skipped`: not run (an earlier failure with
# `stop_on_first_failure`, or the item's `deadline_s`)
STATUSES = ("passed", "failed", "timeout", "memory", "output_limit", "runtime_error", "skipped")
# a result with a phase: the program never got as far as the test (the load failure rule)
PHASES = ("compile", "load")
JUDGED_IN = ("outside", "inside")
