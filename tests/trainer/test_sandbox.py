"""Completions never execute in the trainer: code that would create a marker file on this
machine is scored through the service's `/code` (Docker sandbox) and the marker never appears.

Needs Docker and the sandbox image; skips cleanly when `/code` is unavailable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.docker_support import require_docker
from tests.trainer.trainer_servers import items_seen, reward_service_process
from trainer.client import ClientConfig, RewardClient
from trainer.rewards import remote_code_reward, remote_score_reward

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def docker_service_url() -> Iterator[str]:
    require_docker()
    with reward_service_process(
        REWARD_SANDBOX_BACKEND="docker",
        REWARD_SANDBOX_POOL_SIZE="2",
        REWARD_SANDBOX_LANGUAGES="python,cpp",
    ) as url:
        code = httpx.get(f"{url}/healthz", timeout=5).json()["backends"]["code"]
        if not code.get("ready"):
            pytest.skip(f"/code unavailable: {code.get('reason')}")
        yield url


def test_marker_code_is_scored_remotely_and_never_runs_here(
    docker_service_url: str, tmp_path: Path
) -> None:
    marker = tmp_path / "executed-in-trainer"
    completion = (
        "```python\n"
        "import pathlib\n"
        f"marker = pathlib.Path({str(marker)!r})\n"
        "try:\n"
        "    marker.parent.mkdir(parents=True, exist_ok=True)\n"
        "    marker.write_text('ran')\n"
        "except OSError:\n"
        "    pass\n"
        "def answer():\n"
        "    return 42\n"
        "```"
    )
    before = items_seen(docker_service_url, "code")
    client = RewardClient(ClientConfig(url=docker_service_url, max_retries=1))
    func = remote_code_reward(client, timeout_s=10, mode="async")
    rewards = asyncio.run(
        func(
            prompts=["p"],
            completions=[[{"role": "assistant", "content": completion}]],
            tests=[["assert answer() == 42"]],
        )
    )
    if rewards == [None]:
        pytest.skip("/code could not score (503 or infra error): see the service log")
    assert items_seen(docker_service_url, "code") - before == 1  # the service ran it
    assert rewards == [1.0]  # the program ran and passed its test...
    assert not marker.exists()  # ... in the sandbox, not on this machine


def test_code_reward_logs_what_the_sandbox_saw(docker_service_url: str) -> None:
    logged: dict[str, float] = {}
    client = RewardClient(ClientConfig(url=docker_service_url, max_retries=1))
    func = remote_code_reward(client, timeout_s=1, mode="async")
    completions = [
        "```python\ndef f():\n    return 1\n```",
        "```python\ndef f():\n    while True:\n        pass\n```",
        "I would rather not write code.",
        "```python\ndef f():\n    return 2\n```",
    ]
    # the last item's test inspects an object of the program's: judged inside its interpreter
    tests = [["assert f() == 1"]] * 3 + [["assert f.__name__ == 'f' and f() == 1"]]
    rewards = asyncio.run(func(completions=completions, tests=tests, log_metric=logged.__setitem__))
    if None in rewards:
        pytest.skip("/code could not score (503 or infra error): see the service log")
    assert rewards[0] == 1.0 and rewards[1] == rewards[3]  # a hang scores like a failure
    assert logged["code_reward/frac_passed"] == 0.25
    assert logged["code_reward/frac_no_code"] == 0.25
    assert logged["code_reward/frac_timeout"] == 0.25
    assert logged["code_reward/frac_judged_inside"] == 0.25
    assert logged["code_reward/frac_infra_error"] == 0.0
    assert logged["code_reward/frac_unscored"] == 0.0


def test_score_reward_sends_the_tests_for_a_code_component(docker_service_url: str) -> None:
    client = RewardClient(ClientConfig(url=docker_service_url, max_retries=1))
    func = remote_score_reward({"code": 1.0, "format": 1.0}, client, mode="async")
    completions = [
        "<think>easy</think>\n```python\ndef f():\n    return 1\n```",
        "```python\ndef f():\n    return 2\n```",
    ]
    rewards = asyncio.run(
        func(prompts=["p"] * 2, completions=completions, tests=[["assert f() == 1"]] * 2)
    )
    assert rewards == [pytest.approx(1.2), pytest.approx(0.0)]


def test_code_reward_in_another_language_from_its_columns(docker_service_url: str) -> None:
    """C++ rows: a harness in the `test` column (no entry point), the language from the row's
    `language` column or from the reward's default, a checker from the `checker` column."""
    client = RewardClient(ClientConfig(url=docker_service_url, max_retries=1))
    add = "```cpp\nint add(int a, int b) { return a + b; }\n```"
    echo = "```cpp\n#include <iostream>\nint main() { int n; std::cin >> n; std::cout << n; }\n```"
    harness = "#include <cassert>\nint main() { assert(add(2, 2) == 4); }\n"
    accept_even = {
        "language": "python",
        "source": "import sys\nsys.exit(int(open(sys.argv[2]).read()) % 2)\n",
    }
    by_column = remote_code_reward(client, mode="async")
    rewards = asyncio.run(
        by_column(
            prompts=["p", "p"],
            completions=[add, echo],
            test=[harness, None],
            tests=[None, [{"stdin": "4", "stdout": ""}, {"stdin": "5", "stdout": ""}]],
            language=["cpp", "c++"],
            checker=[None, accept_even],
        )
    )
    assert rewards == [1.0, 0.5]
    by_default = remote_code_reward(client, mode="async", language="cpp")
    assert asyncio.run(by_default(prompts=["p"], completions=[add], test=[harness])) == [1.0]
