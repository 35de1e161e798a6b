"""POST /math: grade final answers of math completions against gold answers."""

from __future__ import annotations

from fastapi import APIRouter

from reward_service.api.deps import LatexPoolDep, MetricsDep, SettingsDep, check_batch_size
from reward_service.api.schemas import MathRequest, MathResponse
from reward_service.api.scorers import score_math

router = APIRouter(tags=["rewards"])


@router.post("/math", response_model=MathResponse)
async def math(
    request: MathRequest, settings: SettingsDep, metrics: MetricsDep, latex_pool: LatexPoolDep
) -> MathResponse:
    """One result per item, in order: `correct`, `wrong`, `missing` (no answer found) or
    `error` (the item could not be graded: `reward` is null and `error` says why)."""
    check_batch_size(len(request.items), settings)
    results = await score_math(request.items, request, settings.max_completion_chars, latex_pool)
    metrics.count_items("math", (r.status for r in results))
    return MathResponse.model_construct(results=results)
