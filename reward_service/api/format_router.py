"""POST /format: does each completion follow the reasoning template?"""

from __future__ import annotations

from fastapi import APIRouter

from reward_service.api.deps import RecorderDep, SettingsDep, check_batch_size
from reward_service.api.grading import grade_format_items
from reward_service.api.schemas import ERROR_RESPONSES, FormatRequest, FormatResponse

router = APIRouter(tags=["rewards"], responses=ERROR_RESPONSES)


@router.post("/format", response_model=FormatResponse)
async def format_(
    body: FormatRequest, settings: SettingsDep, record: RecorderDep
) -> FormatResponse:
    """`ok` (reward 0.2 by default) when the template is followed, else `missing` (0.0)."""
    check_batch_size(len(body.items), settings)
    results = grade_format_items(body.items, body)
    record("format", len(results), (r.status for r in results))
    return FormatResponse.model_construct(results=results)
