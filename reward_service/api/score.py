"""POST /score: several reward components per item, combined as a weighted sum."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request

from reward_service.api.deps import LatexPoolDep, SettingsDep, check_batch_size
from reward_service.api.observe import record_batch
from reward_service.api.schemas import (
    ERROR_RESPONSES,
    FormatResult,
    MathResult,
    ScoreComponents,
    ScoreRequest,
    ScoreResponse,
    ScoreResult,
)
from reward_service.api.scorers import score_format, score_math

router = APIRouter(tags=["rewards"], responses=ERROR_RESPONSES)


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
) -> ScoreResponse:
    """Computes each requested component for every item; `reward` is their weighted sum."""
    check_batch_size(len(body.items), settings)
    weights = body.components.active()
    if not weights:
        raise HTTPException(422, detail="components: name at least one of math, format, code")
    if "code" in weights:
        raise HTTPException(
            503, detail="the code component needs the sandbox, which this server has not enabled"
        )
    n = len(body.items)
    maths: list[MathResult | None] = [None] * n
    formats: list[FormatResult | None] = [None] * n
    if "math" in weights:
        maths = list(await score_math(body.items, body, settings.max_completion_chars, latex_pool))
    if "format" in weights:
        formats = list(score_format(body.items, body))
    results = []
    statuses: list[str] = []
    for m, f in zip(maths, formats, strict=True):
        parts = {"math": m.reward if m else None, "format": f.reward if f else None}
        results.append(
            ScoreResult.model_construct(
                reward=combine(weights, parts),
                components=ScoreComponents.model_construct(math=m, format=f),
            )
        )
        statuses.extend(f"{name}:{p.status}" for name, p in (("math", m), ("format", f)) if p)
    record_batch(request, "score", n, statuses)
    return ScoreResponse.model_construct(results=results)
