"""Shared dependencies as `Annotated` aliases, so route signatures read like prose."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from reward_service.latex_pool import LatexPool
from reward_service.settings import Settings


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_latex_pool(request: Request) -> LatexPool:
    pool: LatexPool = request.app.state.latex_pool
    return pool


SettingsDep = Annotated[Settings, Depends(get_settings)]
LatexPoolDep = Annotated[LatexPool, Depends(get_latex_pool)]


def check_batch_size(items: int, settings: Settings) -> None:
    """413 when a batch has more items than the server accepts."""
    if items > settings.max_batch_items:
        raise HTTPException(
            status_code=413,
            detail=f"batch has {items} items, over the limit of {settings.max_batch_items} "
            "(REWARD_MAX_BATCH_ITEMS); split it into smaller requests",
        )
