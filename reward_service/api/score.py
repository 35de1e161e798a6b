"""POST /score: several reward components per item, combined as a weighted sum."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from reward_service.api.deps import LatexPoolDep, MetricsDep, SettingsDep, check_batch_size
from reward_service.api.schemas import (
    FormatResult,
    MathResult,
    ScoreComponents,
    ScoreRequest,
    ScoreResponse,
    ScoreResult,
)
from reward_service.api.scorers import score_format, score_math

router = APIRouter(tags=["rewards"])


def combine(weights: dict[str, float], parts: dict[str, float | None]) -> float | None:
    """Weighted sum; None when any component with a non-zero weight has no reward."""
    total = 0.0
    for name, weight in weights.items():
        value = parts.get(name)
        if weight == 0:
            continue
        if value is None:
            return None
        total += weight * value
    return total


@router.post("/score", response_model=ScoreResponse, response_model_exclude_none=False)
async def score(
    request: ScoreRequest, settings: SettingsDep, metrics: MetricsDep, latex_pool: LatexPoolDep
) -> ScoreResponse:
    """Computes each requested component for every item; `reward` is their weighted sum."""
    check_batch_size(len(request.items), settings)
    weights = request.components.active()
    if not weights:
        raise HTTPException(422, detail="components: name at least one of math, format, code")
    if "code" in weights:
        raise HTTPException(
            503, detail="the code component needs the sandbox, which this server has not enabled"
        )
    n = len(request.items)
    maths: list[MathResult | None] = [None] * n
    formats: list[FormatResult | None] = [None] * n
    if "math" in weights:
        maths = list(
            await score_math(request.items, request, settings.max_completion_chars, latex_pool)
        )
    if "format" in weights:
        formats = list(score_format(request.items, request))
    results = []
    for m, f in zip(maths, formats, strict=True):
        parts = {"math": m.reward if m else None, "format": f.reward if f else None}
        results.append(
            ScoreResult.model_construct(
                reward=combine(weights, parts),
                components=ScoreComponents.model_construct(math=m, format=f),
            )
        )
    metrics.count_items("score", ("ok" if r.reward is not None else "null" for r in results))
    return ScoreResponse.model_construct(results=results)
