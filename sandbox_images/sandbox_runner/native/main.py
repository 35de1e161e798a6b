"""PID 1 of a compiled-language container: reads jobs, builds and runs them, answers.

Processes (one container): PID 1 (this runner, root with only SETUID, SETGID and KILL), the
commands it starts one at a time (`execute.py`): compilers as the build uid, tests and checkers
as the program uid; and a warm compiler kept between jobs, as the server uid
(`compile_server.py`; TypeScript's or Java's). The three uids are the container's own and
differ from root, so nothing they run can signal the runner or read its memory; what was built
in /tmp/build the program uid can run but not change. After every job every process of the
program uid is killed and /tmp and /dev/shm are wiped (`reset.py`); when that can't be proven,
the reply says `clean: false` and the service replaces the container.

The ready frame names the image's toolchain versions (`/opt/sandbox/toolchain.json`, written at
build time by `prepare.py`), which /healthz reports per language.
"""

from __future__ import annotations

import json
import os
import sys

from sandbox_runner.confine import shed_environment
from sandbox_runner.native.compile_server import CompileServers
from sandbox_runner.native.job import Uids, run_checker_job, run_program_job
from sandbox_runner.reset import reset_container
from sandbox_runner.serve import log, serve

TOOLCHAIN_FILE = "/opt/sandbox/toolchain.json"


def toolchain() -> dict:
    try:
        with open(TOOLCHAIN_FILE) as fh:
            found = json.load(fh)
        return found if isinstance(found, dict) else {}
    except (OSError, ValueError):
        return {}


def uids(argv: list[str]) -> Uids:
    def named(flag: str, default: int) -> int:
        return int(argv[argv.index(flag) + 1]) if flag in argv else default

    uid = named("--uid", 65534)
    return Uids(uid, named("--judge-uid", uid + 1), named("--server-uid", uid + 2))


def run_job(job: dict, ids: Uids, servers: CompileServers) -> dict:
    if job.get("kind") == "checker":
        tests, compile_ms = run_checker_job(job, ids, servers)
    else:
        tests, compile_ms = run_program_job(job, ids, servers)
    clean = reset_container(ids.program, ids.build, ids.server)
    return {"tests": tests, "clean": clean, "compile_ms": compile_ms}


def main() -> int:
    if os.getpid() != 1:
        log("refusing to run: the runner must be PID 1 of its own container")
        return 2
    ids = uids(sys.argv)
    if min(ids) <= 0 or len(set(ids)) != len(ids):
        log("the sandbox uids must not be root and must differ")
        return 2
    shed_environment()  # commands get their environment explicitly (execute.ENV)
    servers = CompileServers(ids.server)
    hello = {"ready": True, "uid": ids.program, "toolchain": toolchain()}
    return serve(hello, lambda job: run_job(job, ids, servers))
