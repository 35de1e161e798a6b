"""Between tests and jobs: end every other process in the container, wipe the writable dirs.

The runner is not PID 1 (the zygote is), so `kill(-1)` from it spares PID 1 and itself; the
program processes it kills are PID 1's children, reaped there, so the reset waits until they
are gone before it wipes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time

WORK_DIRS = ("/tmp", "/dev/shm")


def kill_leftovers() -> None:
    """With CAP_KILL: end every process but PID 1 and this one, reap our own children."""
    while True:
        with contextlib.suppress(ProcessLookupError):
            os.kill(-1, signal.SIGKILL)
        try:
            while True:
                pid, _ = os.waitpid(-1, os.WNOHANG)
                if pid == 0:
                    break
        except ChildProcessError:
            return
        time.sleep(0.001)


def wipe(uid: int) -> None:
    """Empties the writable dirs as the sandbox uid (root here can't read its 0700 dirs)."""
    if not any(os.listdir(path) for path in WORK_DIRS if os.path.isdir(path)):
        return
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            for path in WORK_DIRS:
                for name in os.listdir(path) if os.path.isdir(path) else ():
                    remove(os.path.join(path, name))
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def remove(path: str) -> None:
    """rm -rf that first gives the owner back the rights the program may have taken away."""
    try:
        if os.path.islink(path) or not os.path.isdir(path):
            os.unlink(path)
            return
        os.chmod(path, 0o700)
        for name in os.listdir(path):
            remove(os.path.join(path, name))
        os.rmdir(path)
    except OSError:
        pass


def others_alive() -> bool:
    """Whether a process other than PID 1 and this one still runs (zombies do not count)."""
    me = os.getpid()
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) in (1, me):
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                state = fh.read().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue  # gone while we looked
        if state not in (b"Z", b"X"):
            return True
    return False


def end_everything(timeout_s: float = 2.0) -> bool:
    """kill(-1) until no other process is left; False if some survived `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        kill_leftovers()
        if not others_alive():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)


def reset_container(uids: tuple[int, ...]) -> bool:
    """Resets the container; True only when it proved the container clean (else recycle it)."""
    ended = end_everything()
    for uid in uids:
        wipe(uid)
    ended = end_everything() and ended
    return ended and not any(os.listdir(path) for path in WORK_DIRS if os.path.isdir(path))
