"""In-container job runner: the processes inside every sandbox container.

Processes (one container):
- PID 1 (`__main__`, `zygote`): init, and the pristine zygote that every program process is
  forked from. It imports only what program processes need and never reads a job, so no test
  or expected output is ever in a program process's memory.
- the runner (`jobs`, `serve`), forked by PID 1 at start: reads jobs from stdin and writes
  results to stdout (`framing`). The service attaches to the container once and keeps this
  stream open, so a job costs a few forks, never a container start or a `docker exec`.
- program processes (`program`), forked by the zygote on the runner's request, dropped to the
  sandbox uid: the only place untrusted code runs. One loads the program once per job and serves
  its tests (a spare is forked ahead, between jobs).
- the judge (`judge`, `calls`, `bridge`, `plan`, `ahead`), forked by the runner under a uid of
  its own: evaluates assert and HumanEval tests, calling the program's functions over a
  plain-data bridge.
- fresh test children (`child`) for the tests judged inside the program's interpreter and for
  items with `"isolation": "per_test"`: fork, drop to the sandbox uid, load the program, run
  one test, report over a pipe of its own with a per-test token.

Modules, one concept each:

| module | owns |
| --- | --- |
| `wire` | the words shared with the service: job and reply keys, limits, statuses, phases |
| `framing` | every length-prefixed frame: the attach stream and the pipes between processes |
| `serve` | the job loop both runners share (hello, one reply per job, error replies) |
| `watch` | the one loop that watches a running process (stdin, output cap, deadline, exit) |
| `outcome` | the record of a watched run and the one classifier of how it ended |
| `verdicts` | verdict lines: built before a program runs, read by token |
| `confine` | a process's environment, descriptors, rlimits and uid before untrusted code |
| `text` | valid UTF-8 and short details |
| `jobs` | a Python job's tests: which are judged where, generations, load failures |
| `program_process`, `judging` | the runner's side of a program process, and of the judge |
| `stdio`, `fresh` | the runner's side of a stdin/stdout test, and of a fresh test child |
| `program`, `child` | what runs in a program process, and in a fresh test child |
| `judge`, `calls` | the judge, and its end of the bridge |
| `stand_ins`, `bridge` | the judge's stand-ins for what stays in the program, the codec |
| `plan`, `ahead` | where a test is judged, and which calls it will make |
| `zygote`, `reset`, `compare` | forking program processes, the reset between jobs, stdout rules |
| `native/` | the compiled languages' runner: `main` (PID 1), `job`, `execute` (one command), |
| | `builder` (compile steps), `languages` (one recipe per language), `sources` and |
| | `js_harness` (program and harness text), `go_main` (Go's generated test main), |
| | `compile_server` (warm compilers), `prepare` (the image build step) |

A job is `{"id", "program", "tests", "limits", "isolation", "judge_in", "entry_point"}` (see
`reward_service/sandbox/wire.py`): `limits` is `{"timeout_s", "memory_mb", "output_bytes",
"processes", "file_size_mb"}`, the service's `SandboxLimits` under the same names; each test is
`{"code": str}` (an assert or HumanEval check, run after the program loaded; passes when it
returns) or `{"stdin": str, "stdout": str}` (run the program on that input; the runner compares
stdout). Where a code test is judged is decided from its text (`plan.needs_program_objects`) or
the job's `judge_in`, never from what the program returns; each result says `judged_in`.
Only a verdict the program cannot write makes a pass: the judge's report, or in the inside
mode the child's token-prefixed line after the test returned; exit codes and output never do.
A wall-clock timer kills a test's processes at `timeout_s`; after every job every process of
the sandbox uid is killed and the writable dirs (/tmp, /dev/shm) are wiped. When that can't be
proven, the reply says `clean: false` and the service replaces the container.

Load failures (this is the one statement of the rule; the reward table refers to it). A test
result with `phase` ("compile" or "load") means the program never got as far as the test; the
service scores the item `error` (-1.0) and the runner gives the job's remaining code tests the
same result without running them. In the code forms (assert, HumanEval) that is the case when
the program does not compile, when its module-level code raises (SystemExit included), and also
when the child never reported that the program finished loading: it ended itself (`os._exit`, a
signal), hit the memory or output limit, or was still loading when the wall-clock limit
(`timeout_s`, which covers loading) ran out. So ending the process is no way around the penalty.
A slow but honest start (a heavy import) needs a larger `timeout_s`; its detail says the limit
ran out "while loading the program". In the stdin/stdout form the program's run is the test: a
crash fails that input only.

Whatever the program does, every test gets a result: the runner only reads verdict lines that
start with the test's token, every string it sends back is valid UTF-8 (lone surrogates are
backslash-escaped), and an exception in the runner while it judges a test makes that test a
`runtime_error` (and the reply `clean: false`), never an error reply. An error reply (which the
service treats as a lost container: retried elsewhere, then `infra_error`) only comes from
failures on our side before the program ran: no pipe or fork, or a child that could not drop
privileges (it never sent its "started" line).

Privileges. The container runs PID 1 and the runner as root with every capability dropped except:
- SETUID and SETGID: a program process or test child switches to the unprivileged sandbox
  uid/gid (and clears supplementary groups) before any untrusted code runs, the judge to the
  judge uid. Once they have, their capabilities are gone (setresuid from 0 clears them) and
  no-new-privileges stops them from regaining any.
- KILL: after every job (and after a test judged inside), a helper that switched to the sandbox
  uid sends `kill(-1, SIGKILL)`: it ends every process of that uid (leftover background
  processes, fork bombs) and nothing else, so PID 1, the runner and the judge survive.
The sandbox uid is unique per container, so RLIMIT_NPROC (counted per uid by the kernel) is a
per-container budget. PID 1, the runner and the judge run as other uids, so the program can
neither signal them nor read their memory. The wipe runs as the sandbox uid too, so no
DAC_OVERRIDE is needed.

Reward hacks handled, outside (the default for tests that only call functions on plain data):
the program's result crosses as plain data of exact builtin types, rebuilt in the judge, so an
always-equal object, a builtin subclass, a generator or a result that changes when compared
fails with "returned a Foo, not plain data"; comparisons, `math.isclose` and `sorted` run with
the judge's unpatched modules, which the program never touched; the expected values are in the
judge's memory, another uid, so frame walking, `gc`, `inspect` and ctypes in the program find
nothing; a BaseException the program raises arrives as an error, never as the judge's own.
Inside (tests that need the program's objects, `judge_in: inside`, `isolation: per_test`):
exit codes (sys.exit, os._exit, atexit), printed or forged output, killing the runner,
patching builtins, json (functions or its module-level encoder), os or this package's modules
(the verdict path only uses locals bound before the program ran: C functions, builtin types'
methods, and verdict lines pre-built with the token, so no json or other module is involved;
builtins are restored from a private copy before the test, and the test runs in globals of its
own without the program's names that shadow builtins, such as `abs = ...`), tracers and
profilers (cleared before the test, with gc callbacks and sys.monitoring events; new audit
hooks, which could re-arm a tracer during the test, are refused from the start), garbage or
closed descriptors (no verdict: a failure, or a load failure before "loaded"), and reading
expected outputs from the runner's frames (the child empties its copy of the job).

Deliberately left out: a test judged inside runs in the program's own interpreter, so a program
that digs through its process on purpose (frame walking to the token, ctypes, reading the
caller's bytecode for the expected value), patches a module the test uses or returns an
always-equal object can still forge a pass there; that is why `judged_in` is reported and
counted. Outside, a program that forges its load report by digging in its own process can only
turn a load failure (-1.0) into failed tests (0.0). The stdin/stdout verdict is always computed
in the runner, outside the program's process.

Standard library only: this package runs on any Python >= 3.10 base image. The runner of the
compiled languages (and of checkers, in every image) is the `native` subpackage.
"""
