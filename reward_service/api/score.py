"""POST /score: several reward components per item, combined as a weighted sum."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from reward_service.api.code import resolve_limits, sandbox_overloaded, sandbox_unavailable
from reward_service.api.deps import LatexPoolDep, SettingsDep, check_batch_size
from reward_service.api.observe import record_batch
from reward_service.api.schemas import (
    ERROR_RESPONSES,
    FormatResult,
    MathResult,
    ScoreComponents,
    ScoreItem,
    ScoreRequest,
    ScoreResponse,
    ScoreResult,
)
from reward_service.api.scorers import score_format, score_math
from reward_service.rewards.code import CodeItem, CodeResult, score_code_items
from reward_service.settings import Settings

router = APIRouter(tags=["rewards"], responses=ERROR_RESPONSES)


_CODE_FIELDS = ("completion", "tests", "setup", "test", "entry_point", "fresh")


def _as_code_item(item: ScoreItem) -> CodeItem | str:
    """The item's code part, or why it has none (an item error, not a failed batch)."""
    try:
        return CodeItem.model_validate({k: getattr(item, k) for k in _CODE_FIELDS})
    except ValidationError as exc:
        reason = "; ".join(e["msg"] for e in exc.errors())
        return f"item has no usable tests for the code component: {reason}"


async def score_code_component(
    request: Request, body: ScoreRequest, settings: Settings
) -> list[CodeResult]:
    sandbox = request.app.state.sandbox
    if sandbox is None:
        # No sandbox is our problem, not the policy's: null rewards, and the batch still scores.
        detail = sandbox_unavailable(settings)
        return [CodeResult(reward=None, status="infra_error", detail=detail) for _ in body.items]
    parsed = [_as_code_item(item) for item in body.items]
    valid = [p for p in parsed if isinstance(p, CodeItem)]
    scored = iter(
        await score_code_items(
            sandbox,
            valid,
            resolve_limits(settings, body.limits),
            max_completion_chars=settings.max_completion_chars,
        )
    )
    return [
        next(scored)
        if isinstance(p, CodeItem)
        else CodeResult(reward=None, status="error", detail=p)
        for p in parsed
    ]


def combine(weights: dict[str, float], parts: dict[str, float | None]) -> float | None:
    """Weighted sum; None when any component with a non-zero weight has no reward."""
    total = 0.0
    for name, weight in weights.items():
        if weight == 0:
            continue
        value = parts.get(name)
        if value is None:
            return None
        total += weight * value
    return total


@router.post("/score", response_model=ScoreResponse)
async def score(
    body: ScoreRequest, request: Request, settings: SettingsDep, latex_pool: LatexPoolDep
) -> ScoreResponse | JSONResponse:
    """Computes each requested component for every item; `reward` is their weighted sum."""
    check_batch_size(len(body.items), settings)
    weights = body.components.active()
    sandbox = request.app.state.sandbox
    if "code" in weights and sandbox is not None:
        # The same bound as /code: checked before any work, so a 429 costs nothing.
        overloaded = sandbox_overloaded(sandbox, settings)
        if overloaded is not None:
            return overloaded
    n = len(body.items)
    maths: list[MathResult | None] = [None] * n
    formats: list[FormatResult | None] = [None] * n
    codes: list[CodeResult | None] = [None] * n
    if "math" in weights:
        maths = list(await score_math(body.items, body, settings.max_completion_chars, latex_pool))
    if "format" in weights:
        formats = list(score_format(body.items, body))
    if "code" in weights:
        codes = list(await score_code_component(request, body, settings))
    results = []
    statuses: list[str] = []
    for m, f, c in zip(maths, formats, codes, strict=True):
        parts = {"math": m, "format": f, "code": c}
        rewards = {name: part.reward if part else None for name, part in parts.items()}
        results.append(
            ScoreResult.model_construct(
                reward=combine(weights, rewards),
                components=ScoreComponents.model_construct(math=m, format=f, code=c),
            )
        )
        statuses.extend(f"{name}:{part.status}" for name, part in parts.items() if part)
    record_batch(request, "score", n, statuses)
    return ScoreResponse.model_construct(results=results)
