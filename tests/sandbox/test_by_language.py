"""LanguageSandboxes over scripted backends (no Docker): jobs reach their language's pool, a
family that could not start costs only its own items (`infra_error`), /healthz's per-language
view, and a family whose image appears later is picked up without a restart."""

from __future__ import annotations

import pytest

from reward_service.languages import LANGUAGES, Family
from reward_service.sandbox import by_language
from reward_service.sandbox.base import Job, ProgramTest, SandboxBackend, SandboxHealth
from reward_service.sandbox.by_language import LanguageSandboxes
from reward_service.sandbox.errors import SandboxError, SandboxUnavailable
from reward_service.sandbox.fake import ScriptedSandbox


class Pool(ScriptedSandbox):
    """A scripted pool that reports a toolchain, as a Docker pool does."""

    def __init__(self, family: str) -> None:
        super().__init__()
        self.family = family

    def health(self) -> SandboxHealth:
        health = super().health()
        return health.model_copy(update={"toolchain": {"cpp": "g++ 12", "c": "gcc 12"}})


def starters(
    pools: dict[str, Pool], missing: set[str], tries: list[str]
) -> dict[Family, tuple[by_language.Starter, str]]:
    def starter(family: Family) -> by_language.Starter:
        async def start() -> SandboxBackend:
            tries.append(family)
            if family in missing:
                raise SandboxUnavailable(f"image reward-sandbox-{family}:latest not found")
            pools[family] = Pool(family)
            return pools[family]

        return start

    families: list[Family] = ["python", "cpp", "java"]
    return {f: (starter(f), f"reward-sandbox-{f}:latest") for f in families}


def job(language: str) -> Job:
    return Job(language=language, program="p", tests=(ProgramTest(stdin="", stdout=""),))  # type: ignore[arg-type]


async def test_jobs_go_to_their_family_and_a_missing_family_costs_its_items_only() -> None:
    pools: dict[str, Pool] = {}
    tries: list[str] = []
    sandbox = LanguageSandboxes(
        starters(pools, {"java"}, tries), ["python", "c", "cpp", "java", "rust"]
    )
    await sandbox.start()
    jobs = [job("cpp"), job("java"), job("python"), job("c"), job("rust")]
    results = await sandbox.run(jobs)
    assert [r.infra_error is None for r in results] == [True, False, True, True, False]
    assert "reward-sandbox-java:latest not found" in (results[1].infra_error or "")
    assert "not enabled" in (results[4].infra_error or "")
    assert [j.language for j in pools["cpp"].jobs] == ["cpp", "c"]
    assert [j.language for j in pools["python"].jobs] == ["python"]
    await sandbox.aclose()
    assert pools["cpp"].closed and pools["python"].closed


async def test_health_says_per_language_what_is_ready_and_why_not() -> None:
    sandbox = LanguageSandboxes(starters({}, {"java"}, []), ["python", "cpp", "java"])
    await sandbox.start()
    health = sandbox.health()
    assert health.ready
    languages = health.languages or {}
    assert languages["cpp"].ready and languages["cpp"].toolchain == "g++ 12"
    assert languages["cpp"].image == "reward-sandbox-cpp:latest"
    assert not languages["java"].ready and "not found" in (languages["java"].reason or "")
    assert not languages["c"].ready and "REWARD_SANDBOX_LANGUAGES" in (languages["c"].reason or "")
    assert set(languages) == set(LANGUAGES)


async def test_no_family_at_all_is_an_error() -> None:
    sandbox = LanguageSandboxes(starters({}, {"python", "cpp", "java"}, []), ["python"])
    with pytest.raises(SandboxError, match="python: image"):
        await sandbox.start()


async def test_a_missing_family_is_tried_again_later(monkeypatch: pytest.MonkeyPatch) -> None:
    pools: dict[str, Pool] = {}
    tries: list[str] = []
    missing = {"java"}
    sandbox = LanguageSandboxes(starters(pools, missing, tries), ["python", "java"])
    await sandbox.start()
    (lost,) = await sandbox.run([job("java")])
    assert lost.infra_error is not None and tries.count("java") == 1  # not again so soon
    missing.clear()  # the image was built meanwhile
    monkeypatch.setattr(by_language, "RETRY_S", 0.0)
    (scored,) = await sandbox.run([job("java")])
    assert scored.infra_error is None and tries.count("java") == 2
    assert (sandbox.health().languages or {})["java"].ready
