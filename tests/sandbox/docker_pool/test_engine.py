"""Which engine serves, against the real Docker engine: what /healthz will say, and the clear
errors for a missing socket and an unknown runtime. (Rootless Podman: tests/engines/.)"""

from __future__ import annotations

import pytest

from reward_service.sandbox.docker_pool import DockerPoolConfig, DockerSandbox
from reward_service.sandbox.docker_pool.engine import connect, engine_url, probe
from reward_service.sandbox.errors import SandboxUnavailable
from tests.docker_support import IMAGE, docker_pool, require_docker

pytestmark = pytest.mark.docker


def test_the_setting_wins_over_docker_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///from/docker_host.sock")
    assert engine_url("unix:///from/setting.sock") == "unix:///from/setting.sock"
    assert engine_url(None) == "unix:///from/docker_host.sock"
    monkeypatch.delenv("DOCKER_HOST")
    assert engine_url(None) is None


def test_a_missing_socket_says_how_to_start_an_engine() -> None:
    with pytest.raises(SandboxUnavailable, match="podman system service"):
        connect("unix:///nonexistent/podman.sock")


async def test_an_unknown_runtime_says_how_to_register_one() -> None:
    require_docker()
    sandbox = DockerSandbox(DockerPoolConfig(image=IMAGE, pool_size=1, runtime="no-such-rt"))
    with pytest.raises(SandboxUnavailable, match=r"no runtime 'no-such-rt'.*daemon\.json"):
        await sandbox.start()


async def test_root_docker_enforces_every_limit_and_reports_itself() -> None:
    async with docker_pool(pool_size=1) as sandbox:
        engine = sandbox.health().engine
        assert engine is not None and engine.engine == "docker" and not engine.rootless
        assert engine.runtime == "runc" and engine.limits_not_enforced == []
        assert sandbox.spec.uid_first >= 1_000_000 and sandbox.spec.tmpfs_inodes


def test_probe_reads_the_engine_itself() -> None:
    require_docker()
    client = connect(None)
    try:
        info = probe(client, None, None)
    finally:
        client.close()
    assert info.version and info.cgroup_version in ("1", "2")


def test_healthz_shows_the_engine_whole_defaults_included() -> None:
    from fastapi.testclient import TestClient

    from reward_service.app import create_app
    from tests.conftest import make_settings

    require_docker()
    settings = make_settings(sandbox_backend="docker", sandbox_pool_size=1)
    with TestClient(create_app(settings)) as client:
        engine = client.get("/healthz").json()["backends"]["code"]["engine"]
    assert engine["engine"] == "docker" and engine["runtime"] == "runc", engine
    assert engine["rootless"] is False and engine["limits_not_enforced"] == [], engine
