"""OpenRLHF's remote reward protocol: `POST /openrlhf/math`, `/openrlhf/code`, `/openrlhf/format`.

OpenRLHF (`--reward.remote_url http://host:8000/openrlhf/math`) posts
`{"query": [...], "prompts": [...], "labels": [...]}` and reads
`{"rewards": [...], "scores": [...], "extra_logs": {...}}`. Here:

- the response is found in each query (`reward_service.rewards.query_text.response_of`), so a
  prompt's own worked examples are never graded as the model's answer;
- `labels` carry each sample's task: the gold answer for math (`--data.label_key answer`), a
  JSON object with the /code test fields for code (`{"tests": [...]}`, or `test` and
  `entry_point`), anything for format;
- options come from the query string: `?extract=flexible` (math), `?style=r1` (format),
  `?timeout_s=2&memory_mb=512` (code, clamped to the server's maxima);
- `scores` is the reward clamped to [0, 1] (OpenRLHF's dynamic filtering expects that range);
  `extra_logs` has `frac_<status>` for every status in the request (OpenRLHF averages it).

An item that cannot be scored (a bad label, a sandbox failure) has `null` for its reward and
score, never a made-up number. When no item of a request could be scored, the answer is an
error instead (422 for bad labels, 503 + Retry-After for our failures): OpenRLHF's client logs
it and retries, and a sample it cannot score keeps no reward.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from reward_service.api.code_grading import grade_code_items
from reward_service.api.code_schemas import CodeItem, CodeLimits, CodeResult, code_item
from reward_service.api.deps import (
    LatexPoolDep,
    RecorderDep,
    SandboxDep,
    SettingsDep,
    check_batch_size,
)
from reward_service.api.errors import InvalidRequest, Unavailable
from reward_service.api.grading import grade_format_items, grade_math_items
from reward_service.api.sandbox_admission import admit, resolve_limits
from reward_service.api.schemas import ERROR_RESPONSES, ErrorResponse, FormatOptions, MathOptions
from reward_service.in_order import Refused
from reward_service.rewards.format import FormatStyle
from reward_service.rewards.math import ExtractMode
from reward_service.rewards.query_text import response_of

router = APIRouter(
    prefix="/openrlhf",
    tags=["rewards", "openrlhf"],
    responses={
        **ERROR_RESPONSES,
        503: {
            "model": ErrorResponse,
            "description": "No item could be scored because of our failure (no sandbox, a lost "
            "container): retry after Retry-After.",
        },
    },
)


class OpenRLHFRequest(BaseModel):
    """What OpenRLHF's remote reward client sends (fields it may add later are ignored)."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "query": ["<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n#### 4"],
                    "prompts": ["<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n"],
                    "labels": ["4"],
                }
            ]
        },
    )

    query: list[str] = Field(description="Prompt + response as OpenRLHF decoded them.")
    prompts: list[str] | None = Field(None, description="The prompts, one per query.")
    labels: list[Any] | None = Field(None, description="Each sample's task (see the endpoint).")

    @model_validator(mode="after")
    def _equal_lengths(self) -> OpenRLHFRequest:
        n = len(self.query)
        for name in ("prompts", "labels"):
            given = getattr(self, name)
            if given is not None and len(given) != n:
                raise ValueError(f"`{name}` has {len(given)} entries but `query` has {n}")
        return self

    def responses(self) -> list[str]:
        prompts: Sequence[str | None] = self.prompts or [None] * len(self.query)
        return [response_of(q, p) for q, p in zip(self.query, prompts, strict=True)]

    def label(self, i: int) -> Any:
        return self.labels[i] if self.labels is not None else None


class OpenRLHFResponse(BaseModel):
    rewards: list[float | None]
    scores: list[float | None] = Field(description="The rewards clamped to [0, 1].")
    extra_logs: dict[str, float] = Field(description="`frac_<status>` over the request's items.")


def _answer(
    rewards: Sequence[float | None], statuses: Sequence[str], unscorable: dict[int, str]
) -> OpenRLHFResponse:
    """The response; an error when nothing could be scored (so OpenRLHF logs and retries)."""
    if rewards and all(r is None for r in rewards):
        reasons = sorted(set(unscorable.values())) or ["no item could be scored"]
        if all(s == "infra_error" for s in statuses):
            raise Unavailable("; ".join(reasons)[:2000], headers={"retry-after": "1"})
        raise InvalidRequest("; ".join(reasons)[:2000])
    n = len(statuses) or 1
    tally = Counter(statuses)
    return OpenRLHFResponse(
        rewards=list(rewards),
        scores=[None if r is None else min(1.0, max(0.0, r)) for r in rewards],
        extra_logs={f"frac_{status}": count / n for status, count in sorted(tally.items())},
    )


@router.post("/math", response_model=OpenRLHFResponse)
async def openrlhf_math(
    body: OpenRLHFRequest,
    settings: SettingsDep,
    latex_pool: LatexPoolDep,
    record: RecorderDep,
    extract: Annotated[ExtractMode, Query(description="As in /math.")] = "gsm8k",
) -> OpenRLHFResponse:
    """Labels are gold answers (a number, a string, or a GSM8K solution ending in `#### n`)."""
    check_batch_size(len(body.query), settings)
    items = [_Sample(r, body.label(i)) for i, r in enumerate(body.responses())]
    results = await grade_math_items(
        items, MathOptions(extract=extract), settings.max_completion_chars, latex_pool
    )
    record("openrlhf/math", len(results), (r.status for r in results))
    unscorable = {i: r.error or "no gold answer" for i, r in enumerate(results) if r.reward is None}
    return _answer([r.reward for r in results], [r.status for r in results], unscorable)


@router.post("/format", response_model=OpenRLHFResponse)
async def openrlhf_format(
    body: OpenRLHFRequest,
    settings: SettingsDep,
    record: RecorderDep,
    style: Annotated[FormatStyle, Query(description="The template (see /format).")] = "think",
) -> OpenRLHFResponse:
    """Labels are ignored."""
    check_batch_size(len(body.query), settings)
    items = [_Sample(r, None) for r in body.responses()]
    results = grade_format_items(items, FormatOptions(style=style))
    record("openrlhf/format", len(results), (r.status for r in results))
    return _answer([r.reward for r in results], [r.status for r in results], {})


@router.post("/code", response_model=OpenRLHFResponse)
async def openrlhf_code(
    body: OpenRLHFRequest,
    settings: SettingsDep,
    sandbox: SandboxDep,
    record: RecorderDep,
    timeout_s: Annotated[float | None, Query(gt=0, description="Limit per test.")] = None,
    memory_mb: Annotated[int | None, Query(gt=0, description="Per program process.")] = None,
) -> OpenRLHFResponse:
    """Labels are JSON objects (or JSON text) with the /code test fields: `{"tests": [...]}`
    (asserts or stdin/stdout pairs) or `{"test": ..., "entry_point": ...}`, plus `isolation`,
    `judge_in`, `setup`, `language`, `std`, `edition` as in /code."""
    check_batch_size(len(body.query), settings)
    try:
        limits = resolve_limits(settings, CodeLimits(timeout_s=timeout_s, memory_mb=memory_mb))
    except ValidationError as exc:
        raise InvalidRequest("; ".join(e["msg"] for e in exc.errors())) from None
    parts = [_code_item(r, body.label(i)) for i, r in enumerate(body.responses())]
    admit(sandbox, settings)
    results = await grade_code_items(sandbox, parts, limits, settings.max_completion_chars)
    record("openrlhf/code", len(results), (r.status for r in results))
    record.code_tests(results)
    unscorable = {i: r.detail or r.status for i, r in enumerate(results) if r.reward is None}
    return _answer([r.reward for r in results], [r.status for r in results], unscorable)


class _Sample:
    """A response and its label, shaped as the graders expect."""

    __slots__ = ("answer", "completion")

    def __init__(self, completion: str, answer: Any) -> None:
        self.completion = completion
        self.answer = answer if isinstance(answer, (str, int, float)) else None


def _code_item(response: str, label: Any) -> CodeItem | Refused[CodeResult]:
    """The item for a code sample, or why its label cannot be used."""
    if isinstance(label, str):
        try:
            label = json.loads(label)
        except ValueError:
            why = 'label is not JSON: a code label is an object such as {"tests": [...]}'
            return Refused(CodeResult.unusable(why))
    if not isinstance(label, dict):
        why = "label must be a JSON object with `tests`, or `test` and `entry_point`"
        return Refused(CodeResult.unusable(why))
    item = code_item(response, label)
    if isinstance(item, str):
        return Refused(CodeResult.unusable(f"bad code label: {item}"))
    return item
