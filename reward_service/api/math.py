"""POST /math: grade final answers of math completions against gold answers."""

from __future__ import annotations

from fastapi import APIRouter, Request

from reward_service.api.deps import LatexPoolDep, SettingsDep, check_batch_size
from reward_service.api.observe import record_batch
from reward_service.api.schemas import ERROR_RESPONSES, MathRequest, MathResponse
from reward_service.api.scorers import score_math

router = APIRouter(tags=["rewards"], responses=ERROR_RESPONSES)


@router.post("/math", response_model=MathResponse)
async def math(
    body: MathRequest, request: Request, settings: SettingsDep, latex_pool: LatexPoolDep
) -> MathResponse:
    """One result per item, in order: `correct`, `wrong`, `missing` (no answer found) or
    `error` (the item could not be graded: `reward` is null and `error` says why)."""
    check_batch_size(len(body.items), settings)
    results = await score_math(body.items, body, settings.max_completion_chars, latex_pool)
    record_batch(request, "math", len(results), (r.status for r in results))
    return MathResponse.model_construct(results=results)
