"""verl's custom reward function: how samples map to requests (pure), the function against a
real service (math over HTTP, code in real containers), and verl's own reward loop worker
calling it, in verl's virtual environment (its pins conflict with ours)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reward_service.testing import free_port, running_service
from tests.docker_support import require_docker
from trainer import verl_reward
from trainer.verl_reward import (
    RewardUnavailable,
    code_tests,
    compute_score,
    compute_score_sync,
    kind_of,
    score_request,
    verl_result,
)

ROOT = Path(__file__).resolve().parents[2]
VERL_PYTHON = Path(os.environ.get("REWARD_VERL_PYTHON", ROOT / ".venv-verl" / "bin" / "python"))

# --- pure mapping ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("openai/gsm8k", "math_gsm8k"),
        ("lighteval/MATH", "math_latex"),
        ("DigitalLearningGmbH/MATH-lighteval", "math_latex"),
        ("numina_olympiads", "math_latex"),
        ("aime2024", "math_latex"),
        ("codecontests", "code"),
        ("taco", "code"),
    ],
)
def test_verl_data_sources_map_to_a_reward(source: str, kind: str) -> None:
    assert kind_of(source) == kind


def test_an_unknown_source_says_which_key_to_set() -> None:
    with pytest.raises(ValueError, match=r"reward_kwargs\.kind=math"):
        kind_of("my/own-dataset")
    assert kind_of("my/own-dataset", "math") == "math_latex"
    assert kind_of("my/own-dataset", "code") == "code"
    with pytest.raises(ValueError, match="'math' or 'code'"):
        kind_of("my/own-dataset", "maths")


def test_math_requests_carry_the_gold_and_the_extraction() -> None:
    gsm = score_request("openai/gsm8k", "#### 7", "7")
    assert (gsm.endpoint, gsm.item, gsm.options) == (
        "math",
        {"completion": "#### 7", "answer": "7"},
        {"extract": "gsm8k"},
    )
    zero_one = {"correct": 1.0, "wrong": 0.0, "missing": 0.0}
    latex = score_request("lighteval/MATH", r"\boxed{1/2}", r"\frac12", math_rewards=zero_one)
    assert latex.options == {"extract": "latex", "rewards": zero_one}


def test_verl_code_ground_truths_become_service_tests() -> None:
    stdio = code_tests('{"inputs": ["1 2\\n", ["3", "4"]], "outputs": ["3\\n", "7"]}')
    assert stdio == {
        "tests": [{"stdin": "1 2\n", "stdout": "3\n"}, {"stdin": "3\n4", "stdout": "7"}]
    }
    calls = code_tests({"inputs": [[1, 2], ["a"]], "outputs": [[3], "A"], "fn_name": "solve"})
    assert calls == {"tests": ["assert solve(*[1, 2]) in ([3], 3)", "assert solve(*['a']) == 'A'"]}
    own = code_tests({"tests": ["assert f() == 1"], "judge_in": "outside", "note": "dropped"})
    assert own == {"tests": ["assert f() == 1"], "judge_in": "outside"}
    checked = score_request(
        "apps", "x", {"inputs": ["1"], "outputs": ["0.5"]}, checker={"compare": "float"}
    )
    assert checked.item["compare"] == "float" and checked.item["tests"][0]["stdout"] == "0.5"
    asserts = score_request("taco", "x", {"tests": ["assert 1"]}, checker={"compare": "float"})
    assert "compare" not in asserts.item  # a checker is for stdin/stdout tests only
    limited = score_request("apps", "x", {"tests": ["assert 1"]}, timeout_s=2, memory_mb=256)
    assert limited.options == {"limits": {"timeout_s": 2, "memory_mb": 256}}
    cpp = score_request("codecontests", "x", {"inputs": ["1"], "outputs": ["1"]}, language="cpp")
    assert cpp.item["language"] == "cpp"
    java = {"tests": [{"stdin": "", "stdout": ""}], "language": "java"}
    own = score_request("apps", "x", java, language="cpp")
    assert own.item["language"] == "java"  # the sample's own language wins


@pytest.mark.parametrize(
    ("ground_truth", "message"),
    [
        ("not json", "not JSON"),
        ([1, 2], "must be a JSON object"),
        ({"inputs": ["1"], "outputs": []}, "equal length"),
        ({"inputs": [[1]], "outputs": [1], "fn_name": "x; import os"}, "not a Python identifier"),
    ],
)
def test_unusable_code_ground_truths_fail_with_the_reason(ground_truth: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        code_tests(ground_truth)


def test_results_have_the_same_keys_for_every_sample_and_no_invented_score() -> None:
    passed = verl_result({"reward": 1.0, "status": "passed"}, None)
    wrong = verl_result({"reward": -0.5, "status": "wrong"}, None)
    assert passed == {"score": 1.0, "acc": 1.0, "status": "passed", "unscored": 0.0}
    assert wrong == {"score": -0.5, "acc": 0.0, "status": "wrong", "unscored": 0.0}
    with pytest.raises(RewardUnavailable, match=r"unscored_score=0\.0"):
        verl_result(None, None)
    with pytest.raises(RewardUnavailable, match="infra_error"):
        verl_result({"reward": None, "status": "infra_error", "detail": "sandbox"}, None)
    stand_in = verl_result(None, 0.0)
    assert stand_in == {"score": 0.0, "acc": None, "status": "unscored", "unscored": 1.0}
    assert passed.keys() == wrong.keys() == stand_in.keys()  # verl stacks extras by key


def test_a_misspelt_reward_kwarg_is_an_error() -> None:
    with pytest.raises(TypeError, match="timout_s"):
        asyncio.run(compute_score("openai/gsm8k", "#### 1", "1", {}, timout_s=3))


# --- against a real service -------------------------------------------------------------------


@pytest.fixture(scope="module")
def math_url() -> Iterator[str]:
    with running_service(REWARD_SANDBOX_BACKEND="none") as url:
        yield url


def test_concurrent_per_sample_calls_are_scored_in_batches(math_url: str) -> None:
    async def many() -> list[dict[str, Any]]:
        calls = [
            compute_score(
                "openai/gsm8k", f"so #### {i}", str(i if i % 3 else i + 1), {}, url=math_url
            )
            for i in range(60)
        ]
        return await asyncio.gather(*calls)

    results = asyncio.run(many())
    assert [r["acc"] for r in results] == [0.0 if i % 3 == 0 else 1.0 for i in range(60)]
    batcher = verl_reward._batchers[(math_url, 5.0, None)]
    assert batcher.items_sent >= 60 and batcher.batches_sent < 10  # not one request each


def test_latex_answers_and_verl_zero_one_convention(math_url: str) -> None:
    zero_one = {"correct": 1.0, "wrong": 0.0, "missing": 0.0}

    async def both() -> list[dict[str, Any]]:
        return await asyncio.gather(
            compute_score("lighteval/MATH", r"so $\boxed{0.5}$", r"\frac{1}{2}", url=math_url),
            compute_score(
                "lighteval/MATH",
                r"$\boxed{3}$",
                r"\frac{1}{2}",
                url=math_url,
                math_rewards=zero_one,
            ),
        )

    right, wrong = asyncio.run(both())
    assert (right["score"], right["status"]) == (1.0, "correct")
    assert (wrong["score"], wrong["status"]) == (0.0, "wrong")


def test_the_sync_form_for_verl_remote_manager(math_url: str) -> None:
    result = compute_score_sync("openai/gsm8k", "#### 12", "12", {}, url=math_url)
    assert result["score"] == 1.0


def test_an_unreachable_service_raises_or_gives_the_configured_stand_in() -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(RewardUnavailable):
        asyncio.run(compute_score("openai/gsm8k", "#### 1", "1", url=nowhere, max_retries=0))
    stand_in = asyncio.run(
        compute_score("openai/gsm8k", "#### 1", "1", url=nowhere, max_retries=0, unscored_score=0.0)
    )
    assert stand_in["unscored"] == 1.0 and stand_in["acc"] is None


@pytest.mark.docker
def test_verl_code_sources_run_in_the_sandbox() -> None:
    require_docker()
    doubler = "```python\nprint(int(input()) * 2)\n```"
    adder = "```python\ndef add(a, b):\n    return a + b\n```"
    apps = '{"inputs": ["2\\n", "5\\n"], "outputs": ["4\\n", "10\\n"]}'
    taco = {"inputs": [[1, 2], [3, 4]], "outputs": [[3], [7]], "fn_name": "add"}
    doubler_cpp = (
        "```cpp\n#include <iostream>\nint main() { int n; std::cin >> n; std::cout << 2 * n; }\n```"
    )
    with running_service(
        REWARD_SANDBOX_POOL_SIZE="1", REWARD_SANDBOX_LANGUAGES="python,cpp"
    ) as url:

        async def run() -> list[dict[str, Any]]:
            return await asyncio.gather(
                compute_score("apps", doubler, apps, url=url),
                compute_score("taco", adder, taco, url=url),
                compute_score("codecontests", "```python\nprint(3)\n```", apps, url=url),
                compute_score("codecontests", doubler_cpp, apps, url=url, language="cpp"),
            )

        results = asyncio.run(run())
    assert [(r["score"], r["status"]) for r in results] == [
        (1.0, "passed"),
        (1.0, "passed"),
        (0.0, "failed"),
        (1.0, "passed"),
    ]


# --- verl's own reward loop -------------------------------------------------------------------


def _verl_python() -> Path:
    if VERL_PYTHON.exists():
        return VERL_PYTHON
    if os.environ.get("REWARD_REQUIRE_INTEGRATIONS"):
        pytest.fail(f"verl's virtual environment is missing at {VERL_PYTHON} (.ci/run makes it)")
    pytest.skip(f"no verl virtual environment at {VERL_PYTHON}; see .ci/run to make one")


def run_verl_reward_loop(
    url: str, samples: list[dict[str, Any]], tmp_path: Path, *reward_kwargs: str
) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "samples.json"
    path.write_text(json.dumps(samples))
    script = ROOT / "tests" / "trainer" / "verl_reward_loop.py"
    return subprocess.run(
        [str(_verl_python()), str(script), url, str(path), *reward_kwargs],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_verl_reward_loop_worker_scores_through_the_service(math_url: str, tmp_path: Path) -> None:
    def gsm8k(prompt: str, response: str, gold: str) -> dict[str, str]:
        return {
            "data_source": "openai/gsm8k",
            "prompt": prompt,
            "response": response,
            "ground_truth": gold,
        }

    samples = [
        gsm8k("Q: 2+70? ", "72. #### 72", "72"),
        gsm8k("Q: 2+70? ", "71. #### 71", "72"),
        gsm8k("Q: 1+1? ", "two", "2"),
        {
            "data_source": "lighteval/MATH",
            "prompt": "Half? ",
            "response": r"It is $\boxed{\frac{1}{2}}$.",
            "ground_truth": r"\frac{1}{2}",
        },
    ]  # fmt: skip
    # the README's keys, verl's 0/1 convention included, as Hydra overrides
    zero_one = "math_rewards={correct: 1.0, wrong: 0.0, missing: 0.0}"
    done = run_verl_reward_loop(math_url, samples, tmp_path, zero_one)
    assert done.returncode == 0, done.stderr[-3000:]
    outputs = json.loads(done.stdout.strip().splitlines()[-1])
    assert [o["reward_score"] for o in outputs] == [1.0, 0.0, 0.0, 1.0]
    assert [o["reward_extra_info"]["status"] for o in outputs] == [
        "correct",
        "wrong",
        "missing",
        "correct",
    ]
    assert all(o["reward_extra_info"]["unscored"] == 0.0 for o in outputs)


def test_verl_reward_loop_fails_loudly_when_the_service_is_gone(tmp_path: Path) -> None:
    """verl needs a number for every sample: no service means an error, not a made-up 0."""
    sample = {
        "data_source": "openai/gsm8k",
        "prompt": "Q ",
        "response": "#### 1",
        "ground_truth": "1",
    }
    nowhere = f"http://127.0.0.1:{free_port()}"
    done = run_verl_reward_loop(nowhere, [sample], tmp_path, "max_retries=0")
    assert done.returncode != 0
    assert "RewardUnavailable" in done.stderr and "unscored_score" in done.stderr


def test_this_module_runs_under_the_main_interpreter_too() -> None:
    # the helper script imports no verl at module level (pytest's doctest pass imports it)
    assert (
        subprocess.run(
            [sys.executable, "-c", "import tests.trainer.verl_reward_loop"], cwd=ROOT
        ).returncode
        == 0
    )
