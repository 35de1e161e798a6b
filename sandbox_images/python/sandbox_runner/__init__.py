"""In-container job runner: the main process (PID 1) of every sandbox container.

Modules: `__main__` (the framed stream and the job loop), `child` (the forked test process,
the only place untrusted code runs), `observe` (watching a child and deciding its verdict),
`reset` (killing leftovers and wiping the writable dirs between jobs).

It reads jobs from stdin and writes results to stdout, each frame a 4-byte big-endian length
followed by UTF-8 JSON. The service attaches to the container once and keeps this stream open,
so a job costs a few forks, never a container start or a `docker exec`.

A job is `{"id", "program", "tests", "timeout_s", "memory_mb", "output_bytes", "nproc",
"file_size_bytes"}` where each test is `{"code": str}` (run in the program's namespace after it
loaded; passes when it returns) or `{"stdin": str, "stdout": str}` (run the program on that
input; the runner compares stdout). Every test gets a fresh child: fork, drop to the sandbox
uid, load the program, run the test, report over a pipe of its own with a per-test token.
Only that report, after the test returned, makes a pass; exit codes and output never do. A
wall-clock timer here kills the child's process group; after every test `kill(-1)` ends every
other process, and after every job the writable dirs (/tmp, /dev/shm) are wiped. When that
can't be proven, the reply says `clean: false` and the service replaces the container.

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
killing the runner, patching builtins, json, os or this module (the verdict path only uses
references bound before the program ran; builtins are restored before the test), tracers, and
reading expected outputs from the runner's frames (the child empties its copy of the job).

Deliberately left out: in the assert and HumanEval forms the test runs in the program's own
interpreter, so a program that digs through its process on purpose (frame walking to the
token, ctypes, reading the caller's bytecode for the expected value) can still forge a pass.
The stdin/stdout verdict is computed here, outside the program's process.

Standard library only: this package runs on any Python >= 3.8 base image.
"""
