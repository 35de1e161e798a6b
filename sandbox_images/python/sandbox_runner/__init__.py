"""In-container job runner: the main process (PID 1) of every sandbox container.

Modules: `__main__` (the framed stream and the job loop), `child` (the forked test process,
the only place untrusted code runs), `watch` (watching a child and deciding its verdict),
`reset` (killing leftovers and wiping the writable dirs between jobs).

It reads jobs from stdin and writes results to stdout, each frame a 4-byte big-endian length
followed by UTF-8 JSON. The service attaches to the container once and keeps this stream open,
so a job costs a few forks, never a container start or a `docker exec`.

A job is `{"id", "program", "tests", "limits"}` (see `reward_service/sandbox/wire.py`): `limits`
is `{"timeout_s", "memory_mb", "output_bytes", "processes", "file_size_mb"}`, the service's
`SandboxLimits` under the same names; each test is `{"code": str}` (run in the program's
namespace after it loaded; passes when it returns) or `{"stdin": str, "stdout": str}` (run the
program on that input; the runner compares stdout). Every test gets a fresh child: fork, drop to
the sandbox uid, load the program, run the test, report over a pipe of its own with a per-test
token. Only that report, after the test returned, makes a pass; exit codes and output never do.
A wall-clock timer here kills the child's process group; after every test `kill(-1)` ends every
other process, and after every job the writable dirs (/tmp, /dev/shm) are wiped. When that can't
be proven, the reply says `clean: false` and the service replaces the container.

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

Privileges. The container runs this process as root with every capability dropped except:
- SETUID and SETGID: a test child must switch to the unprivileged sandbox uid/gid (and clear
  supplementary groups) before any untrusted code runs. Once it has, its capabilities are gone
  (setresuid from 0 clears them) and no-new-privileges stops it from regaining any.
- KILL: after every test, `kill(-1, SIGKILL)` from PID 1 ends every other process in the
  container (leftover background processes, fork bombs) whatever uid they run as.
The sandbox uid is unique per container, so RLIMIT_NPROC (counted per uid by the kernel) is a
per-container budget. The runner is PID 1 and of another uid, so the program can't signal it.
The wipe runs in a child that drops to the sandbox uid too, so no DAC_OVERRIDE is needed.

Reward hacks handled: exit codes (sys.exit, os._exit, atexit), printed or forged output,
killing the runner, patching builtins, json (functions or its module-level encoder), os or this
package's modules (the verdict path only uses locals bound before the program ran: C functions,
builtin types' methods, and verdict lines pre-built with the token, so no json or other module
is involved; builtins are restored from a private copy before the test, and the test runs in
globals of its own without the program's names that shadow builtins, such as `abs = ...`),
tracers and profilers (cleared before the test, with gc callbacks and sys.monitoring events;
new audit hooks, which could re-arm a tracer during the test, are refused from the start),
garbage or closed descriptors (no verdict: a failure, or a load failure before "loaded"), and
reading expected outputs from the runner's frames (the child empties its copy of the job).

Deliberately left out: in the assert and HumanEval forms the test runs in the program's own
interpreter, so a program that digs through its process on purpose (frame walking to the
token, ctypes, reading the caller's bytecode for the expected value) can still forge a pass.
So can a program that patches a module the test uses (such as `math.isclose`), while loading
or while the test runs (a function or a background thread), or that returns an object whose
`__eq__` always says True: the harness undoes builtins, tracers and hooks, not modules.
The stdin/stdout verdict is computed here, outside the program's process.

Standard library only: this package runs on any Python >= 3.8 base image.
"""
