"""The pure side imports nothing heavy: the rewards and the sandbox protocol load no Docker SDK,
and the trainer's request builders nothing but httpx (checked in a fresh interpreter,
where nothing else has imported it yet)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "module",
    ["reward_service.rewards.code", "reward_service.rewards.math", "reward_service.sandbox"],
)
def test_importing_loads_no_docker_sdk(module: str) -> None:
    probe = f"import sys, {module}; print('docker' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("module", ["trainer.verl_reward", "trainer.reward_specs"])
def test_the_trainers_requests_need_only_httpx(module: str) -> None:
    # the README's verl install is `pip install --no-deps`: the adapter brings no server library
    heavy = "{'pydantic', 'fastapi', 'docker'}"
    probe = f"import sys, {module}; print(sorted({heavy} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_docker_backend_does_load_it() -> None:
    # the probe above would pass for any module if the check itself were broken
    probe = "import sys, reward_service.sandbox.docker_pool; print('docker' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
