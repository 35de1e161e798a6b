"""/code's calls form and early exits over real HTTP: a uvicorn process with the Docker sandbox,
talked to with httpx."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reward_service import plain_data
from reward_service.testing import running_service
from tests.docker_support import IMAGE, require_docker

pytestmark = pytest.mark.docker

SORT = "```python\ndef f(xs, reverse=False):\n    return tuple(sorted(xs, reverse=reverse))\n```"
CLOSE = (
    "import math\n"
    "def check(out, expected, args):\n"
    "    return math.isclose(out, expected, rel_tol=1e-7, abs_tol=1e-6)\n"
)


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    require_docker()
    env = {"REWARD_SANDBOX_BACKEND": "docker", "REWARD_SANDBOX_LANGUAGES": "python"}
    with running_service(120, REWARD_SANDBOX_IMAGE=IMAGE, **env) as base:
        yield base


def call(args: list[Any], expected: Any, **kwargs: Any) -> dict[str, Any]:
    return {
        "args": plain_data.encode(args),
        "kwargs": {k: plain_data.encode(v) for k, v in kwargs.items()},
        "expected": plain_data.encode(expected),
    }


def code(url: str, *items: dict[str, Any]) -> list[dict[str, Any]]:
    response = httpx.post(f"{url}/code", json={"items": list(items)}, timeout=120)
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def test_calls_with_plain_data_json_and_a_call_check(url: str) -> None:
    calls = [
        call([[3, 1, 2]], (1, 2, 3)),
        call([{2, 1}], (1, 2)),
        call([[1, 2]], (2, 1), reverse=True),
        call([[1, 2]], [1, 2]),  # a list is not the tuple f returns
    ]
    third = "```python\ndef f(x):\n    return x / 3\n```"
    closeness = [call([1], 0.3333333), call([2], 0.67)]
    sorted_, close = code(
        url,
        {"completion": SORT, "entry_point": "f", "calls": calls},
        {"completion": third, "entry_point": "f", "calls": closeness, "call_check": CLOSE},
    )
    assert [t["status"] for t in sorted_["tests"]] == ["passed", "passed", "passed", "failed"]
    assert sorted_["reward"] == 0.75 and sorted_["tests"][0]["judged_in"] == "outside"
    assert [t["status"] for t in close["tests"]] == ["passed", "failed"]


def test_stop_on_first_failure_and_a_deadline_over_http(url: str) -> None:
    wrong = "```python\ndef f(xs, reverse=False):\n    return tuple(xs)\n```"
    calls = [call([[1]], (1,)), call([[2, 1]], (1, 2)), call([[3]], (3,))]
    asserts = ["assert f([1]) == (1,)", "assert f([2, 1]) == (1, 2)", "assert f([3]) == (3,)"]
    slow = "```python\nimport time\ndef f(x):\n    time.sleep(0.3)\n    return x\n```"
    results = code(
        url,
        {"completion": wrong, "entry_point": "f", "calls": calls, "stop_on_first_failure": True},
        {"completion": wrong, "tests": asserts, "stop_on_first_failure": True},
        {
            "completion": slow,
            "tests": [f"assert f({i}) == {i}" for i in range(10)],
            "deadline_s": 1,
        },
    )
    for result in results[:2]:
        assert [t["status"] for t in result["tests"]] == ["passed", "failed", "skipped"]
        assert result["reward"] == pytest.approx(1 / 3) and result["total"] == 3
    statuses = [t["status"] for t in results[2]["tests"]]
    assert statuses[0] == "passed" and statuses[-1] == "skipped" and "timeout" in statuses


def test_the_calls_form_refuses_what_it_cannot_run(url: str) -> None:
    bad = [
        {"completion": SORT, "calls": [call([1], 1)]},  # no entry_point
        {
            "completion": SORT,
            "entry_point": "f",
            "calls": [{"args": [{"s": [[1]]}], "expected": 1}],
        },
        {"completion": SORT, "entry_point": "f", "language": "cpp", "calls": [call([1], 1)]},
        {"completion": SORT, "entry_point": "f", "tests": ["assert 1"], "call_check": CLOSE},
    ]
    for item in bad:
        response = httpx.post(f"{url}/code", json={"items": [item]}, timeout=30)
        assert response.status_code == 422, response.text
    said = httpx.post(f"{url}/code", json={"items": [bad[1]]}, timeout=30).json()["detail"]
    assert "plain-data JSON" in str(said)
