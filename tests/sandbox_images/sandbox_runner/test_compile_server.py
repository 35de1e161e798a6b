"""The warm-compiler lifecycle (native/compile_server.py) with a stand-in server speaking the
same protocol: a server is kept between compiles, and one that overruns its time, dies or has
served its share is replaced by a fresh one. Needs root (the server drops to its own uid, as in
a container); the real TypeScript server runs in tests/sandbox/test_languages.py."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sandbox_runner.native import compile_server
from sandbox_runner.native.compile_server import CompileServers, ServerFailed
from sandbox_runner.native.execute import ENV, Limits

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the server drops to a uid of its own")

SERVER_UID = 1_999_997
LIMITS = Limits(
    timeout_s=2, address_space_mb=2048, output_bytes=1 << 20, processes=32, file_size_mb=16
)

# Answers each request by what its first file says: "ok", "bad" (a compile error), "sleep"
# (never answers), "die" (exits, saying it ran out of memory), "flaky" (exits without a word
# if it compiled anything before, else answers) or "chatty" (a stray line before its answer).
STAND_IN = """
import os, sys, time
def line():
    data = b""
    while not data.endswith(b"\\n"):
        chunk = os.read(0, 1)
        if not chunk:
            sys.exit(0)
        data += chunk
    return data[:-1].decode()
def exactly(size):
    data = b""
    while len(data) < size:
        data += os.read(0, size - len(data))
    return data
served = 0
while True:
    files = [(line(), exactly(int(line()))) for _ in range(int(line()))]
    what = files[0][1].decode()
    if what == "flaky" and served:
        sys.exit(1)
    if what == "chatty":
        os.write(1, b"Java HotSpot(TM) warning: CodeCache is full\\n")
    served += 1
    if what == "sleep":
        time.sleep(60)
    if what == "die":
        sys.stderr.write("FATAL: out of memory\\n")
        sys.exit(1)
    ok = what in ("ok", "flaky", "chatty")
    said = f"pid {os.getpid()}" if ok else "prog.ts(1,1): error TS1: bad"
    os.write(1, f"{int(ok)}\\n{len(said)}\\n{said}".encode())
"""


@pytest.fixture
def argv() -> Iterator[list[str]]:
    # the system's Python, and a folder the server's uid can read (pytest's own is root's only)
    python = shutil.which("python3", path="/usr/bin:/bin")
    if python is None:
        pytest.skip("no system python3 for the stand-in server")
    folder = Path(tempfile.mkdtemp(prefix="stand-in-"))
    try:
        folder.chmod(0o755)
        script = folder / "stand_in.py"
        script.write_text(STAND_IN)
        script.chmod(0o644)
        yield [python, "-I", str(script)]
    finally:
        shutil.rmtree(folder)


def compile_(servers: CompileServers, argv: list[str], what: str) -> tuple[bool, str]:
    return servers.compile("ts", argv, "/", LIMITS, dict(ENV), {"prog.ts": what}, LIMITS.timeout_s)


def test_one_server_serves_compile_after_compile(argv: list[str]) -> None:
    servers = CompileServers(SERVER_UID)
    try:
        first = compile_(servers, argv, "ok")
        second = compile_(servers, argv, "ok")
        assert first == second and first[0] is True  # the same pid answered both
        assert compile_(servers, argv, "bad") == (False, "prog.ts(1,1): error TS1: bad")
    finally:
        servers.stop("ts")


def test_a_server_that_overruns_or_dies_is_replaced(argv: list[str]) -> None:
    servers = CompileServers(SERVER_UID)
    try:
        before = compile_(servers, argv, "ok")
        with pytest.raises(ServerFailed) as late:
            compile_(servers, argv, "sleep")
        assert late.value.status == "timeout"
        assert "ts" not in servers.running
        after = compile_(servers, argv, "ok")
        assert after[0] and after != before  # a fresh server
        with pytest.raises(ServerFailed) as dead:
            compile_(servers, argv, "die")
        assert dead.value.status == "memory"
        assert compile_(servers, argv, "ok")[0]
    finally:
        servers.stop("ts")


def test_a_server_is_replaced_after_its_share_of_compiles(
    argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compile_server, "COMPILES_PER_SERVER", 2)
    servers = CompileServers(SERVER_UID)
    try:
        answers = [compile_(servers, argv, "ok")[1] for _ in range(4)]
        assert answers[0] == answers[1] != answers[2] == answers[3]
    finally:
        servers.stop("ts")


def test_a_server_that_breaks_after_serving_gets_the_compile_again_fresh(argv: list[str]) -> None:
    servers = CompileServers(SERVER_UID)
    try:
        first = compile_(servers, argv, "ok")
        again = compile_(servers, argv, "flaky")  # the old server dies; a fresh one answers
        assert again[0] and again != first
        with pytest.raises(ServerFailed):  # out of turn, and again on a fresh server
            compile_(servers, argv, "chatty")
        assert compile_(servers, argv, "ok")[0]  # and a fresh one serves the next
    finally:
        servers.stop("ts")
