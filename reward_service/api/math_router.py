"""POST /math: grade final answers of math completions against gold answers."""

from __future__ import annotations

from fastapi import APIRouter

from reward_service.api.deps import LatexPoolDep, RecorderDep, SettingsDep, check_batch_size
from reward_service.api.grading import grade_math_items
from reward_service.api.schemas import ERROR_RESPONSES, MathRequest, MathResponse

router = APIRouter(tags=["rewards"], responses=ERROR_RESPONSES)


@router.post("/math", response_model=MathResponse)
async def math(
    body: MathRequest, settings: SettingsDep, latex_pool: LatexPoolDep, record: RecorderDep
) -> MathResponse:
    """One result per item, in order: `correct`, `wrong`, `missing` (no answer found) or
    `error` (the item could not be graded: `reward` is null and `error` says why)."""
    check_batch_size(len(body.items), settings)
    results = await grade_math_items(body.items, body, settings.max_completion_chars, latex_pool)
    record("math", len(results), (r.status for r in results))
    return MathResponse.model_construct(results=results)
