"""POST /format: does each completion follow the reasoning template?"""

from __future__ import annotations

from fastapi import APIRouter, Request

from reward_service.api.deps import SettingsDep, check_batch_size
from reward_service.api.observe import record_batch
from reward_service.api.schemas import ERROR_RESPONSES, FormatRequest, FormatResponse
from reward_service.api.scorers import score_format

router = APIRouter(tags=["rewards"], responses=ERROR_RESPONSES)


@router.post("/format", response_model=FormatResponse)
async def format_(body: FormatRequest, request: Request, settings: SettingsDep) -> FormatResponse:
    """`ok` (reward 0.2 by default) when the template is followed, else `missing` (0.0)."""
    check_batch_size(len(body.items), settings)
    results = score_format(body.items, body)
    record_batch(request, "format", len(results), (r.status for r in results))
    return FormatResponse.model_construct(results=results)
