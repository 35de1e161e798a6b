"""MBPP's canonical solutions through /code: every one that passes when run plainly (its code,
setup and asserts in one `exec`, as MBPP's own harness does) scores 1.0, judged outside the
program where its tests allow (`judged_in` says where)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reward_service.app import create_app
from tests.conftest import SHARED, make_settings
from tests.docker_support import require_docker

pytestmark = [pytest.mark.docker, pytest.mark.slow]

MBPP = SHARED / "data" / "mbpp" / "mbpp.jsonl"
CHUNK = 128


def problems() -> list[dict[str, Any]]:
    if not MBPP.exists():
        pytest.skip(f"MBPP not found at {MBPP} (the ../shared folder is optional)")
    return [json.loads(line) for line in MBPP.open()]


def passes_plainly(problem: dict[str, Any]) -> bool:
    """The solution, its setup and its asserts in one interpreter, with no harness at all."""
    source = "\n".join([problem["code"], problem["test_setup_code"], *problem["test_list"]])
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-c", source], capture_output=True, timeout=20, cwd="/tmp"
        )
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


def code_item(problem: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {
        "completion": f"```python\n{problem['code']}\n```",
        "tests": problem["test_list"],
    }
    if problem["test_setup_code"].strip():
        item["setup"] = problem["test_setup_code"]
    return item


@pytest.fixture(scope="module")
def scored() -> Iterator[list[tuple[dict[str, Any], bool, dict[str, Any]]]]:
    require_docker()
    rows = problems()
    with ThreadPoolExecutor(2) as pool:
        plain = list(pool.map(passes_plainly, rows))
    settings = make_settings(sandbox_backend="docker", sandbox_pool_size=2)
    results: list[dict[str, Any]] = []
    with TestClient(create_app(settings)) as client:
        for start in range(0, len(rows), CHUNK):
            body = {
                "items": [code_item(p) for p in rows[start : start + CHUNK]],
                "limits": {"timeout_s": 20, "memory_mb": 512},
            }
            response = client.post("/code", json=body)
            assert response.status_code == 200, response.text
            results += response.json()["results"]
    yield list(zip(rows, plain, results, strict=True))


def test_every_solution_that_passes_plainly_scores_one(
    scored: list[tuple[dict[str, Any], bool, dict[str, Any]]],
) -> None:
    plain = [(p, r) for p, ok, r in scored if ok]
    wrong = [(p["task_id"], r["status"], [t["detail"] for t in r["tests"]]) for p, r in plain]
    wrong = [w for w, (_, r) in zip(wrong, plain, strict=True) if r["reward"] != 1.0]
    where = Counter(t["judged_in"] for _, r in plain for t in r["tests"])
    # the few that fail plainly depend on set order or the platform (sys.getsizeof)
    failing = [p["task_id"] for p, ok, _ in scored if not ok]
    print(
        f"\nMBPP: {len(plain)} of {len(scored)} canonical solutions pass plainly (not: "
        f"{failing}); {len(plain) - len(wrong)} score 1.0; tests judged {dict(where)}"
    )
    for task, status, details in wrong:
        print(f"  task {task}: {status} {details[:1]}")
    assert wrong == []
