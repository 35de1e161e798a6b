"""What the dialect defaults do to older programs: every program scored under every C, C++ or
Rust dialect /code offers, through a real service, in one table.

    python benchmarks/dialects_report.py [--dir DIR ...]

The programs: tests/sandbox/dialect_programs.py (older datasets' and habits' styles, each with
the dialect it needs, and C that GCC 14 refuses in any dialect), plus every `*.c`, `*.cpp` and
`*.rs` file in each `--dir` (a complete program that checks itself, as MultiPL-E's are: it
passes when it exits 0 printing nothing). Each cell is the item's reward (1.0 passes, -1.0
does not compile); `old` marks the previous defaults (C gnu11, C++ gnu++17, Rust 2021: with
GCC 12 and rustc 1.63 then, today's toolchains here), `new` today's. The service runs on the
images SANDBOX_IMAGE_PREFIX names (default reward-sandbox-). Needs dockerd.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' programs
from reward_service.languages import DEFAULT_DIALECT, DIALECTS
from reward_service.testing import running_service
from tests.sandbox.dialect_programs import GCC14_REJECTS, OLD_PROGRAMS, OldProgram

PREFIX = os.environ.get("SANDBOX_IMAGE_PREFIX", "reward-sandbox-")
OLD_DEFAULT = {"c": "gnu11", "cpp": "gnu++17", "rust": "2021"}
SUFFIX = {".c": "c", ".cpp": "cpp", ".cc": "cpp", ".rs": "rust"}


def programs_in(directory: Path) -> list[OldProgram]:
    return [
        OldProgram(f"{directory.name}/{path.name}", SUFFIX[path.suffix], path.read_text(), None)
        for path in sorted(directory.iterdir())
        if path.suffix in SUFFIX
    ]


def item(program: OldProgram, dialect: str) -> dict[str, Any]:
    field = "edition" if program.language == "rust" else "std"
    return {
        "language": program.language,
        "completion": f"```{program.language}\n{program.source}\n```",
        "tests": [{"stdin": "", "stdout": program.expected}],
        field: dialect,
    }


def cell(reward: float | None) -> str:
    return (
        "inf" if reward is None else f"{reward:+.0f}" if reward in (1.0, -1.0) else f"{reward:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, action="append", default=[])
    args = parser.parse_args()
    programs = [*OLD_PROGRAMS, *GCC14_REJECTS, *(p for d in args.dir for p in programs_in(d))]
    images = {family: f"{PREFIX}{family}:latest" for family in ("cpp", "rust")}
    env = {
        "REWARD_SANDBOX_BACKEND": "docker",
        "REWARD_SANDBOX_LANGUAGES": "c,cpp,rust",
        "REWARD_SANDBOX_IMAGES": json.dumps(images),
    }
    changed = 0
    with running_service(timeout_s=180, **env) as url:
        for language in ("c", "cpp", "rust"):
            mine = [p for p in programs if p.language == language]
            dialects = DIALECTS[language]
            items = [item(program, dialect) for program in mine for dialect in dialects]
            response = httpx.post(f"{url}/code", json={"items": items}, timeout=3600)
            response.raise_for_status()
            rewards = [r["reward"] for r in response.json()["results"]]
            marks = {OLD_DEFAULT[language]: " old"}
            marks[DEFAULT_DIALECT[language]] = marks.get(DEFAULT_DIALECT[language], "") + " new"
            print(f"\n{language}: " + "  ".join(f"{d}{marks.get(d, '')}" for d in dialects))
            for index, program in enumerate(mine):
                row = dict(zip(dialects, rewards[index * len(dialects) :], strict=False))
                before, after = row[OLD_DEFAULT[language]], row[DEFAULT_DIALECT[language]]
                changed += before != after
                flag = " <- changed" if before != after else ""
                cells = " ".join(f"{cell(row[d]):>5}" for d in dialects)
                print(f"  {program.name[:44]:<44} {cells}{flag}")
    print(
        f"\n{changed} of {len(programs)} programs score differently under the new defaults than "
        "under the old ones (both on today's toolchains)"
    )


if __name__ == "__main__":
    main()
