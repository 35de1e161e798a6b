"""Entry point: PID 1 of the container. Forks the job runner (`jobs.py`) and becomes the zygote
(`zygote.py`) that program processes are forked from."""

from __future__ import annotations

import gc
import os
import socket
import sys

# PID 1 imports only what program processes need: the less it holds, the cheaper each fork
from sandbox_runner import zygote
from sandbox_runner.confine import CHILD_ENV, shed_environment


def log(message: str) -> None:
    # not serve.log: PID 1 imports only what program processes need
    sys.stderr.write(f"runner: {message}\n")
    sys.stderr.flush()


# Modules programs commonly import (HumanEval's prompts import typing): loaded once here, an
# import in a program process is a dict lookup. Each is the standard library's, unchanged. Not
# hashlib: its OpenSSL mappings would make every fork dearer for the rare program that needs it.
PRELOADED = ("typing", "heapq", "bisect", "string")


def warm_up() -> None:
    """First-use costs paid once in PID 1 instead of in every program process forked from it."""
    import importlib

    for name in PRELOADED:
        importlib.import_module(name)
    # the compiler's first run sets up state each fork would build again (1.6 ms per process)
    exec(compile("pass", "<warm-up>", "exec"), {})
    from sandbox_runner import bridge

    bridge.decode(bridge.encode({"warm": [1, 2.5, "up", None, (1,), {2}]}))


def main() -> int:
    if os.getpid() != 1:
        log("refusing to run: the runner must be PID 1 of its own container (init and zygote)")
        return 2
    uid = int(sys.argv[sys.argv.index("--uid") + 1]) if "--uid" in sys.argv else 65534
    # the judge's uid: not the program's, so the program can neither signal nor read it
    judge_uid = (
        int(sys.argv[sys.argv.index("--judge-uid") + 1]) if "--judge-uid" in sys.argv else uid + 1
    )
    if uid <= 0 or judge_uid <= 0 or judge_uid == uid:
        log("the sandbox uids must not be root and must differ")
        return 2
    shed_environment()
    # every child inherits this: nothing of the image's environment reaches a program
    os.environ.update(CHILD_ENV)
    from sandbox_runner import program  # imported once, here, for every fork

    warm_up()
    gc.freeze()  # keeps PID 1's objects out of the children's collections (fewer copies)
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    runner = os.fork()
    if runner == 0:
        code = 1
        try:
            ours.close()
            from sandbox_runner import jobs  # the runner's own modules: after the fork

            code = jobs.job_loop(uid, judge_uid, zygote.Zygote(theirs))
        finally:
            os._exit(code)
    theirs.close()
    program.become_template()
    gc.freeze()
    return zygote.serve(ours, runner)


if __name__ == "__main__":
    sys.exit(main())
