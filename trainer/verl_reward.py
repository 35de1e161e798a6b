"""verl's custom reward function, scored on the reward service: `compute_score` (async).

    reward.custom_reward_function.path=pkg://trainer.verl_reward
    reward.custom_reward_function.name=compute_score
    +reward.custom_reward_function.reward_kwargs.url=http://reward-host:8000

verl calls the function once per sample as each rollout finishes; concurrent calls in one
process are coalesced into batched requests (`trainer.batching.MicroBatcher`), so the service
still sees batches. Which reward applies follows verl's dataset conventions (`data_source`):

- GSM8K (`openai/gsm8k`, `gsm8k`): `/math`, the number after `####` (verl's strict rule);
- MATH-style sources (`lighteval/MATH`, `DigitalLearningGmbH/MATH-lighteval`, `math_dapo`,
  `aime*`, `numina_*`, ...): `/math` with `latex` (math-verify, `\\boxed{}` answers);
- code sources (`codecontests`, `apps`, `codeforces`, `taco`): `/code`, with the tests in
  `ground_truth` as verl keeps them (`{"inputs": [...], "outputs": [...]}` for stdin/stdout,
  plus `"fn_name"` for call-based tests), or in the service's own `/code` fields (`language`
  and `checker` included);
- any other source: set `reward_kwargs.kind=math|code` (else the first sample fails loudly).

`reward_kwargs` (each optional): `url` (else `REWARD_URL`), `kind`, `math_extract`
(`gsm8k|flexible|latex`), `math_rewards` (e.g. `{correct: 1, wrong: 0, missing: 0}` for verl's
0/1 convention; the service's defaults otherwise), `timeout_s` and `memory_mb` (per code test),
`language` (code samples' programming language when their ground_truth names none; Python
otherwise), `compare`, `abs_tol`, `rel_tol` (the rule for stdin/stdout tests; see /code),
`stop_on_first_failure` and `deadline_s` (early exits for every code sample that sets none; see
/code: with verl's 0/1 code reward, stopping at the first failing test loses nothing),
`unscored_score`, `max_wait_ms` (coalescing wait, 5) and `max_retries` (the client's, 4). An
unknown key is an error, so a typo does not go unnoticed.

The result is `{"score", "acc", "status", "unscored"}`: verl logs the extra keys (the mean of
`unscored` is the share of samples the service could not score). verl needs a number for every
sample and has no "no reward", so a sample the service could not score after the client's
retries raises `RewardUnavailable` (the step fails loudly) unless `reward_kwargs.unscored_score`
names the stand-in you accept; it is never invented silently. `compute_score_sync` is the same
for verl's `remote` reward manager, which takes only synchronous functions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trainer.batching import MicroBatcher
from trainer.client import ClientConfig, RewardClient
from trainer.reward_specs import CODE_TEST_FIELDS, code_fields

GSM8K_SOURCES = frozenset({"openai/gsm8k", "gsm8k"})
LATEX_SOURCES = frozenset(
    {
        "lighteval/MATH",
        "DigitalLearningGmbH/MATH-lighteval",
        "HuggingFaceH4/MATH-500",
        "math",
        "math_dapo",
        "BytedTsinghua-SIA/DAPO-Math-17k",
    }
)
LATEX_PREFIXES = ("aime", "numina_")
CODE_SOURCES = frozenset({"codecontests", "apps", "codeforces", "taco"})
CHECKER_FIELDS = ("compare", "abs_tol", "rel_tol")
EARLY_EXIT_FIELDS = ("stop_on_first_failure", "deadline_s")
# what verl itself may pass beside reward_kwargs, when a reward model is configured
VERL_KWARGS = frozenset({"reward_router_address", "reward_model_tokenizer"})


class RewardUnavailable(RuntimeError):
    """The service could not score a sample, and no stand-in score was configured."""


@dataclass(frozen=True)
class ScoreRequest:
    """What one sample becomes: an item for one endpoint, with that endpoint's options."""

    endpoint: str
    item: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)


def kind_of(data_source: str, kind: str | None = None) -> str:
    """`math_gsm8k`, `math_latex` or `code` for a verl data source (`kind` overrides)."""
    if kind is not None:
        if kind not in ("math", "code"):
            raise ValueError(f"reward_kwargs.kind must be 'math' or 'code', not {kind!r}")
        if kind == "code":
            return "code"
        return "math_gsm8k" if data_source in GSM8K_SOURCES else "math_latex"
    if data_source in GSM8K_SOURCES:
        return "math_gsm8k"
    if data_source in LATEX_SOURCES or data_source.startswith(LATEX_PREFIXES):
        return "math_latex"
    if data_source in CODE_SOURCES:
        return "code"
    raise ValueError(
        f"verl data source {data_source!r} is not one the reward service maps: set "
        "+reward.custom_reward_function.reward_kwargs.kind=math (or =code)"
    )


def score_request(
    data_source: str,
    solution_str: str,
    ground_truth: Any,
    *,
    kind: str | None = None,
    math_extract: str | None = None,
    math_rewards: Mapping[str, float] | None = None,
    timeout_s: float | None = None,
    memory_mb: int | None = None,
    checker: Mapping[str, Any] | None = None,
    language: str | None = None,
    early: Mapping[str, Any] | None = None,
) -> ScoreRequest:
    """The service request for one verl sample (pure: no I/O)."""
    resolved = kind_of(data_source, kind)
    if resolved != "code":
        extract = math_extract or ("gsm8k" if resolved == "math_gsm8k" else "latex")
        gold = ground_truth if isinstance(ground_truth, (int, float)) else str(ground_truth)
        options: dict[str, Any] = {"extract": extract}
        if math_rewards:  # e.g. verl's own 0/1 convention: {correct: 1, wrong: 0, missing: 0}
            options["rewards"] = dict(math_rewards)
        return ScoreRequest("math", {"completion": solution_str, "answer": gold}, options)
    limits = {k: v for k, v in (("timeout_s", timeout_s), ("memory_mb", memory_mb)) if v}
    code_options = {"limits": limits} if limits else {}
    tests = code_tests(ground_truth, language)  # reward_kwargs' language, unless the sample's
    stdio = isinstance(tests.get("tests"), list) and isinstance(tests["tests"][0], Mapping)
    if checker and stdio and "checker" not in tests:  # reward_kwargs' rule, unless the sample
        tests = {**{k: v for k, v in checker.items() if v is not None}, **tests}  # has its own
    defaults = {k: v for k, v in (early or {}).items() if v is not None}
    item = {"completion": solution_str, **defaults, **tests}  # the sample's own win
    return ScoreRequest("code", item, code_options)


def code_tests(ground_truth: Any, language: str | None = None) -> dict[str, Any]:
    """`/code` test fields from a code sample's `ground_truth` (JSON text or an object): the
    service's own fields, read as a dataset row's (`trainer.reward_specs.code_fields`), or
    verl's `{"inputs", "outputs"[, "fn_name"]}`; `language` unless the sample names its own."""
    if isinstance(ground_truth, (str, bytes)):
        try:
            ground_truth = json.loads(ground_truth)
        except ValueError as exc:
            raise ValueError(f"a code sample's ground_truth is not JSON: {exc}") from exc
    if not isinstance(ground_truth, Mapping):
        raise ValueError("a code sample's ground_truth must be a JSON object")
    if CODE_TEST_FIELDS & ground_truth.keys():
        own = code_fields(ground_truth, language=language)
        if own is not None:
            return own
    tests = _verl_tests(ground_truth)
    return {"language": language, **tests} if language else tests


def _verl_tests(ground_truth: Mapping[str, Any]) -> dict[str, Any]:
    """verl's (APPS/TACO) `{"inputs", "outputs"}`: stdin/stdout pairs, or with `fn_name`, calls."""
    inputs, outputs = ground_truth.get("inputs"), ground_truth.get("outputs")
    if not isinstance(inputs, list) or not isinstance(outputs, list) or len(inputs) != len(outputs):
        raise ValueError(
            'a code ground_truth needs "inputs" and "outputs" lists of equal length, '
            'or the service\'s "tests" (or "test" and "entry_point")'
        )
    fn_name = ground_truth.get("fn_name")
    if fn_name:
        return {
            "tests": [_call_assert(fn_name, i, o) for i, o in zip(inputs, outputs, strict=True)]
        }
    return {
        "tests": [
            {"stdin": _text(i), "stdout": _text(o)} for i, o in zip(inputs, outputs, strict=True)
        ]
    }


def _text(value: Any) -> str:
    return "\n".join(map(str, value)) if isinstance(value, list) else str(value)


def _call_assert(fn_name: str, args: Any, expected: Any) -> str:
    """APPS/TACO call-based test: `args` is the argument list, and `expected` is usually the
    return value wrapped in a one-element list (both accepted)."""
    if not fn_name.isidentifier():
        raise ValueError(f"fn_name {fn_name!r} is not a Python identifier")
    call = f"{fn_name}(*{list(args) if isinstance(args, list) else [args]!r})"
    if isinstance(expected, list) and len(expected) == 1:
        return f"assert {call} in ({expected!r}, {expected[0]!r})"
    return f"assert {call} == {expected!r}"


def verl_result(result: Mapping[str, Any] | None, unscored_score: float | None) -> dict[str, Any]:
    """verl's `{"score", ...extras}` for one service result; the same keys for every sample."""
    reward = None if result is None else result.get("reward")
    status = "unscored" if result is None else str(result.get("status", "unknown"))
    if reward is None:
        if unscored_score is None:
            detail = "" if result is None else f" (status {status}: {result.get('detail')})"
            raise RewardUnavailable(
                f"the reward service could not score this sample{detail}. verl needs a number: "
                "fix the service, or accept a stand-in with "
                "+reward.custom_reward_function.reward_kwargs.unscored_score=0.0"
            )
        return {"score": float(unscored_score), "acc": None, "status": status, "unscored": 1.0}
    score = float(reward)
    return {"score": score, "acc": float(score >= 1.0), "status": status, "unscored": 0.0}


_batchers: dict[tuple[str, float, int | None], MicroBatcher] = {}


def _batcher(url: str | None, max_wait_ms: float, max_retries: int | None) -> MicroBatcher:
    """One batcher per (service, wait, retries) in this process: verl's concurrent calls share
    it. `url` unset: `REWARD_URL` (several replicas may be listed, comma-separated)."""
    config = ClientConfig.from_env(url=url, max_retries=max_retries)
    key = (config.url, max_wait_ms, max_retries)
    if key not in _batchers:
        _batchers[key] = MicroBatcher(RewardClient(config), max_wait_ms=max_wait_ms)
    return _batchers[key]


@dataclass(frozen=True)
class _Options:
    url: str | None = None
    kind: str | None = None
    math_extract: str | None = None
    math_rewards: Mapping[str, float] | None = None
    timeout_s: float | None = None
    memory_mb: int | None = None
    language: str | None = None
    compare: str | None = None
    abs_tol: float | None = None
    rel_tol: float | None = None
    stop_on_first_failure: bool | None = None
    deadline_s: float | None = None
    unscored_score: float | None = None
    max_wait_ms: float = 5.0
    max_retries: int | None = None


def _options(kwargs: Mapping[str, Any]) -> _Options:
    known = set(_Options.__dataclass_fields__)
    unknown = set(kwargs) - known - VERL_KWARGS
    if unknown:
        raise TypeError(
            f"unknown reward_kwargs {sorted(unknown)}; trainer.verl_reward takes {sorted(known)}"
        )
    return _Options(**{k: v for k, v in kwargs.items() if k in known})


def _prepare(
    data_source: str, solution_str: str, ground_truth: Any, kwargs: Mapping[str, Any]
) -> tuple[_Options, ScoreRequest]:
    options = _options(kwargs)
    request = score_request(
        data_source,
        solution_str,
        ground_truth,
        kind=options.kind,
        math_extract=options.math_extract,
        math_rewards=options.math_rewards,
        timeout_s=options.timeout_s,
        memory_mb=options.memory_mb,
        checker={k: getattr(options, k) for k in CHECKER_FIELDS},
        language=options.language,
        early={k: getattr(options, k) for k in EARLY_EXIT_FIELDS},
    )
    return options, request


async def compute_score(
    data_source: str,
    solution_str: str,
    ground_truth: Any,
    extra_info: Mapping[str, Any] | None = None,
    **reward_kwargs: Any,
) -> dict[str, Any]:
    """verl's reward function: one sample, scored on the service in a batch with its peers."""
    options, request = _prepare(data_source, solution_str, ground_truth, reward_kwargs)
    result = await _batcher(options.url, options.max_wait_ms, options.max_retries).score(
        request.endpoint,
        request.item,
        request.options,
        retry_read_timeouts=request.endpoint != "code",  # a timed-out program run is not re-run
    )
    return verl_result(result, options.unscored_score)


def compute_score_sync(
    data_source: str,
    solution_str: str,
    ground_truth: Any,
    extra_info: Mapping[str, Any] | None = None,
    **reward_kwargs: Any,
) -> dict[str, Any]:
    """`compute_score` for callers that take only synchronous functions (verl's `remote`
    reward manager); calls from many threads are still coalesced."""
    options, request = _prepare(data_source, solution_str, ground_truth, reward_kwargs)
    result = _batcher(options.url, options.max_wait_ms, options.max_retries).score_sync(
        request.endpoint,
        request.item,
        request.options,
        retry_read_timeouts=request.endpoint != "code",
    )
    return verl_result(result, options.unscored_score)
