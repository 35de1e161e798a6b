"""Shared fixtures: an in-process app (ASGI, lifespan run) and paths to optional shared data."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reward_service.app import create_app
from reward_service.settings import Settings
from tests.docker_support import image_environment, require_docker

# Services started by tests (in process or as subprocesses) run Python only unless a test names
# more languages: every other language's pool would start warm containers for nothing.
os.environ.setdefault("REWARD_SANDBOX_LANGUAGES", "python")
# ... and from the images SANDBOX_IMAGE_PREFIX names, when it is set (tests/docker_support.py)
if "SANDBOX_IMAGE_PREFIX" in os.environ:
    for name, value in image_environment().items():
        os.environ.setdefault(name, value)

SHARED = Path(__file__).resolve().parents[2] / "shared"
GSM8K_DIR = SHARED / "data" / "gsm8k"


def make_settings(**overrides: object) -> Settings:
    """Settings for tests: no sandbox unless a test asks for one."""
    values: dict[str, object] = {"sandbox_backend": "none", **overrides}
    if "sandbox_images" in overrides and "SANDBOX_IMAGE_PREFIX" in os.environ:  # only some named
        named = json.loads(image_environment()["REWARD_SANDBOX_IMAGES"])
        values["sandbox_images"] = {**named, **overrides["sandbox_images"]}  # type: ignore[dict-item]
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def client() -> Iterator[TestClient]:
    """A client for an app with default limits; the lifespan runs (pools start and stop)."""
    with TestClient(create_app(make_settings()), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def docker_client() -> Iterator[TestClient]:
    """An app with the real Docker sandbox (2 warm containers); skips without Docker or image."""
    require_docker()
    settings = make_settings(sandbox_backend="docker", sandbox_pool_size=2)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def gsm8k_test_path() -> Path:
    path = GSM8K_DIR / "test.jsonl"
    if not path.exists():
        pytest.skip(f"GSM8K data not found at {path} (the ../shared folder is optional)")
    return path
