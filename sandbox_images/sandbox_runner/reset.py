"""Between tests and jobs: end every process of the program's uid, wipe the writable dirs.

Every process a program can start runs under the sandbox uid (it can never change it), so
ending them all is `kill(-1)` from a helper that has switched to that uid: it reaches exactly
those processes, and spares PID 1 (the zygote), the runner, its spare program process (still
privileged until it gets a job) and the judge (a uid of its own).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time

from sandbox_runner.confine import become

WORK_DIRS = ("/tmp", "/dev/shm")


def kill_uid(uid: int) -> None:
    """Sends SIGKILL to every process of `uid`, from a helper running as that uid."""
    pid = os.fork()
    if pid == 0:
        try:
            become(uid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(-1, signal.SIGKILL)  # every process of this uid but the helper
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def uid_alive(uid: int) -> bool:
    """Whether a process of `uid` still runs (zombies do not count)."""
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            if os.stat(f"/proc/{name}").st_uid != uid:  # the owner is the effective uid
                continue
            with open(f"/proc/{name}/stat", "rb") as fh:
                state = fh.read().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue  # gone while we looked
        if state not in (b"Z", b"X"):
            return True
    return False


def kill_leftovers(uid: int, timeout_s: float = 2.0) -> bool:
    """Ends every process of the program's uid and reaps our own children; False if some
    survived `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        if uid_alive(uid):  # the usual case after a job is none: no helper to fork
            kill_uid(uid)
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        if not uid_alive(uid):
            # what died since the last reap is a zombie still counted by RLIMIT_NPROC: reap it
            with contextlib.suppress(ChildProcessError):
                while os.waitpid(-1, os.WNOHANG)[0]:
                    pass
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.0002)


def wipe(uid: int) -> None:
    """Empties the writable dirs as the sandbox uid (root here can't read its 0700 dirs)."""
    if not any(os.listdir(path) for path in WORK_DIRS if os.path.isdir(path)):
        return
    pid = os.fork()
    if pid == 0:
        try:
            become(uid)
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


def reset_container(uid: int, *others: int) -> bool:
    """Resets the container: ends the program uid's processes and wipes what it and `others`
    (the judge's, the build's, a warm compiler's uids) wrote; True only when it proved the
    container clean (else recycle it)."""
    # one pass suffices: kill(-1) as that uid is atomic against fork, and a killed process runs
    # no more code, so nothing can appear behind the wipe
    ended = kill_leftovers(uid)
    for owner in (uid, *others):
        wipe(owner)
    return ended and not any(os.listdir(path) for path in WORK_DIRS if os.path.isdir(path))
