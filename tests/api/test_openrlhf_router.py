"""POST /openrlhf/{math,format,code}: OpenRLHF's remote reward protocol.

The contract tests use the app in-process (a scripted sandbox for code where Docker is not the
point); `test_openrlhf_s_own_client_*` run OpenRLHF's real client code (`openrlhf.utils.agent`,
installed without its GPU dependencies by .ci/run) against the real service over HTTP, and the
code one against real Docker containers.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reward_service.app import create_app
from reward_service.sandbox.fake import ScriptedSandbox
from tests.conftest import make_settings
from tests.docker_support import require_docker

CHATML_PROMPT = "<|im_start|>user\nExample: 1+1 #### 2. Now 2+2?<|im_end|>\n<|im_start|>assistant\n"


def query(response: str, prompt: str = CHATML_PROMPT) -> str:
    return prompt + response + "<|im_end|>"


@pytest.fixture(scope="module")
def api() -> Iterator[TestClient]:
    app = create_app(make_settings(), sandbox=ScriptedSandbox())
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_math_grades_the_response_not_the_prompt(api: TestClient) -> None:
    # the prompt's worked example says #### 2; only the response counts
    body = {
        "query": [query("<think>2+2</think> #### 4"), query("no idea"), query("#### 5")],
        "prompts": [CHATML_PROMPT] * 3,
        "labels": ["4", "4", "4"],
    }
    answer = api.post("/openrlhf/math", json=body).json()
    assert answer["rewards"] == [1.0, -1.0, -0.5]
    assert answer["scores"] == [1.0, 0.0, 0.0]
    assert answer["extra_logs"] == pytest.approx(
        {"frac_correct": 1 / 3, "frac_missing": 1 / 3, "frac_wrong": 1 / 3}
    )


def test_math_options_come_from_the_query_string(api: TestClient) -> None:
    boxed = query("so the answer is \\boxed{4}")
    body = {"query": [boxed], "prompts": [CHATML_PROMPT], "labels": [4]}
    assert api.post("/openrlhf/math", json=body).json()["rewards"] == [-1.0]
    assert api.post("/openrlhf/math?extract=flexible", json=body).json()["rewards"] == [1.0]
    refused = api.post("/openrlhf/math?extract=guess", json=body)
    assert refused.status_code == 422


def test_without_prompts_the_assistant_turn_is_found(api: TestClient) -> None:
    body = {"query": [query("#### 4")], "labels": ["The sum is 4. #### 4"]}
    assert api.post("/openrlhf/math", json=body).json()["rewards"] == [1.0]


def test_lists_of_different_lengths_are_refused(api: TestClient) -> None:
    response = api.post("/openrlhf/math", json={"query": ["a", "b"], "labels": ["1"]})
    assert response.status_code == 422
    assert "`labels` has 1 entries but `query` has 2" in response.text


def test_an_item_without_a_usable_label_is_null_and_the_rest_scored(api: TestClient) -> None:
    body = {"query": [query("#### 4"), query("#### 4")], "labels": [None, "4"]}
    answer = api.post("/openrlhf/math", json=body).json()
    assert answer["rewards"] == [None, 1.0] and answer["scores"] == [None, 1.0]
    assert answer["extra_logs"]["frac_error"] == 0.5


def test_a_request_with_nothing_scorable_is_an_error_that_says_why(api: TestClient) -> None:
    response = api.post("/openrlhf/math", json={"query": [query("#### 4")], "labels": [None]})
    assert response.status_code == 422
    assert "answer" in response.json()["detail"]


def test_format(api: TestClient) -> None:
    body = {"query": [query("<think>a</think> #### 4"), query("#### 4")], "labels": [None, None]}
    answer = api.post("/openrlhf/format", json=body).json()
    assert answer["rewards"] == [0.2, 0.0] and answer["scores"] == [0.2, 0.0]


def test_code_labels_are_json_objects_with_the_code_test_fields(api: TestClient) -> None:
    program = "```python\ndef f(x):\n    return x\n```"
    body = {
        "query": [query(program)] * 4,
        "labels": [
            json.dumps({"tests": ["assert f(1) == 1"]}),
            {"test": "def check(c):\n    assert c(1) == 1\n", "entry_point": "f"},
            "not json",
            json.dumps({"tests": "assert f(1) == 1"}),  # a string, not a list
        ],
    }
    answer = api.post("/openrlhf/code?timeout_s=2", json=body).json()
    assert answer["rewards"] == [1.0, 1.0, None, None]
    assert answer["extra_logs"] == {"frac_error": 0.5, "frac_passed": 0.5}


def test_a_sandbox_failure_is_a_503_that_openrlhf_retries() -> None:
    app = create_app(make_settings(), sandbox=ScriptedSandbox(infra_error="container lost"))
    with TestClient(app) as api:
        body = {"query": [query("```python\nx = 1\n```")], "labels": ['{"tests": ["assert x"]}']}
        response = api.post("/openrlhf/code", json=body)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert "container lost" in response.json()["detail"]


# --- OpenRLHF's own client code, over real HTTP ------------------------------------------------


def openrlhf_agent() -> Any:
    """`openrlhf.utils.agent`, or a skip (a failure where .ci/run installed it)."""
    try:
        from openrlhf.utils import agent
    except ImportError as exc:
        if os.environ.get("REWARD_REQUIRE_INTEGRATIONS"):
            raise
        pytest.skip(f"openrlhf is not installed ({exc}); .ci/run installs it with --no-deps")
    return agent


class OneAnswerEngine:
    """Stands in for vLLM only: always 'generates' the same tokens (the reward path is real)."""

    def __init__(self, token_ids: list[int]) -> None:
        self.token_ids = token_ids

    async def generate(self, prompt_token_ids: list[int], params: Any, **_: Any) -> Any:
        output = SimpleNamespace(token_ids=self.token_ids, finish_reason="stop", logprobs=None)
        return SimpleNamespace(outputs=[output])


def run_openrlhf_single_turn(url: str, prompt: str, label: Any, response: str) -> dict[str, Any]:
    """OpenRLHF's SingleTurnAgentExecutor.execute: tokenize, 'generate', decode with special
    tokens kept, POST to the remote reward URL, read rewards/scores/extra_logs."""
    from trainer.model import build_tiny_tokenizer

    agent = openrlhf_agent()
    tokenizer = build_tiny_tokenizer()
    executor = agent.SingleTurnAgentExecutor(remote_rm_url=url)
    engine = OneAnswerEngine(tokenizer(response + "<eos>", add_special_tokens=False)["input_ids"])
    params = SimpleNamespace(max_tokens=64, logprobs=None)
    return asyncio.run(executor.execute(prompt, label, params, 512, tokenizer, engine))  # type: ignore[no-any-return]


def test_openrlhf_s_own_client_scores_math_over_http() -> None:
    from tests.trainer.trainer_servers import reward_service_process

    with reward_service_process() as url:
        right = run_openrlhf_single_turn(f"{url}/openrlhf/math", "What is 2+2?\n", "4", "#### 4")
        wrong = run_openrlhf_single_turn(f"{url}/openrlhf/math", "What is 2+2?\n", "4", "#### 5")
    assert right["reward"] == [1.0] and right["scores"] == [1.0]
    assert right["extra_logs"] == {"frac_correct": 1.0}
    assert wrong["reward"] == [-0.5] and wrong["scores"] == [0.0]


def test_openrlhf_s_own_client_scores_code_in_real_containers() -> None:
    require_docker()
    from tests.trainer.trainer_servers import reward_service_process

    label = json.dumps({"tests": ["assert add(1, 2) == 3", "assert add(2, 2) == 4"]})
    program = "```python\ndef add(a, b):\n    return a + b\n```"
    env = {"REWARD_SANDBOX_BACKEND": "docker", "REWARD_SANDBOX_POOL_SIZE": "1"}
    with reward_service_process(**env) as url:
        out = run_openrlhf_single_turn(f"{url}/openrlhf/code", "Write add.\n", label, program)
    assert out["reward"] == [1.0]
    assert out["extra_logs"] == {"frac_passed": 1.0}
