"""Verdict lines: how a process that ran program code tells the runner what happened.

A line starts with the test's token, which only the runner and that process know, so the runner
reads no line a program wrote (`parse`); every line the process may send is built before the
program runs (`lines`), so sending one touches no module the program could have patched. The
fresh test child (`child.py`), a stdio run (`program.py`) and the load report use them.

>>> token = "ab" * 16
>>> data = b"noise\\n" + lines(token)["started"] + lines(token)["test", "passed"] + b"null}\\n"
>>> parse(data, token)
[{'phase': 'started'}, {'phase': 'test', 'status': 'passed', 'detail': None}]
"""

from __future__ import annotations

import json

MAX_VERDICTS = 16
# what a verdict line may say: a marker, or a final (phase, status)
MARKERS = ("started", "loaded")
PHASES = ("compile", "load", "test")
STATUSES = ("passed", "failed", "runtime_error", "memory")


def prefix(token: str) -> bytes:
    """How every verdict line of this test starts; the runner reads no other line."""
    return f'{{"token": "{token}", '.encode()


def lines(token: str) -> dict:
    """Every line the harness may send, as bytes, keyed by marker or (phase, status); a
    verdict line still needs its JSON-encoded detail and `}\\n`. Each starts with a newline so
    bytes a program wrote to the pipe can't run into it."""
    head = "\n" + prefix(token).decode()
    built: dict = {m: f'{head}"phase": "{m}"}}\n'.encode() for m in MARKERS}
    for phase in PHASES:
        for status in STATUSES:
            built[phase, status] = f'{head}"phase": "{phase}", "status": "{status}", "detail": '
            built[phase, status] = built[phase, status].encode()
    return built


def parse(data: bytes, token: str) -> list[dict]:
    """The harness's lines: those that start with this test's token, nothing else. Whatever
    else the program wrote to the pipe is skipped, however it is nested or broken."""
    start = prefix(token)
    verdicts = []
    for line in data.split(b"\n"):
        if not line.startswith(start):
            continue
        try:
            message = json.loads(line)
        except Exception:  # RecursionError too: no input may crash the runner
            continue
        if isinstance(message, dict) and message.pop("token", None) == token:
            verdicts.append(message)
            if len(verdicts) >= MAX_VERDICTS:
                break
    return verdicts
