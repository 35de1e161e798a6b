"""A `SandboxBackend` over one backend per image family: each job goes to its language's.

C and C++ share the GCC image's pool, JavaScript and TypeScript the Node.js one
(`reward_service.languages.FAMILY`). A family whose backend could not start (its image is not
built, say) is not ready: /healthz says why, and its jobs come back as `infra_error` while the
rest of the batch is scored. Such a family is tried again when a job needs it, at most every
`RETRY_S` seconds, so an image built while the service runs is picked up without a restart.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from reward_service.languages import FAMILY, LANGUAGES, Family, Language
from reward_service.sandbox.base import (
    Job,
    JobResult,
    LanguageHealth,
    SandboxBackend,
    SandboxHealth,
)
from reward_service.sandbox.errors import SandboxError

logger = logging.getLogger(__name__)

RETRY_S = 30.0
Starter = Callable[[], Awaitable[SandboxBackend]]  # raises SandboxError when it cannot start


class FamilySlot:
    """One family's backend, or why there is none (and when it was last tried)."""

    def __init__(self, name: Family, start: Starter, image: str) -> None:
        self.name, self.start, self.image = name, start, image
        self.backend: SandboxBackend | None = None
        self.down = "not started yet"
        self.tried = -RETRY_S
        self.lock = asyncio.Lock()

    async def ensure(self, force: bool = False) -> SandboxBackend | None:
        if self.backend is not None:
            return self.backend
        async with self.lock:
            if self.backend is None and (force or time.monotonic() - self.tried >= RETRY_S):
                self.tried = time.monotonic()
                try:
                    self.backend = await self.start()
                except SandboxError as exc:
                    self.down = str(exc)
                    logger.warning("%s sandbox not started: %s", self.name, exc)
        return self.backend


class LanguageSandboxes:
    """`SandboxBackend` routing each job by `Job.language`; build it, `await start()`."""

    def __init__(
        self, starters: dict[Family, tuple[Starter, str]], languages: Sequence[Language]
    ) -> None:
        self.languages = tuple(languages)
        self._families = {
            name: FamilySlot(name, start, image) for name, (start, image) in starters.items()
        }

    def enabled(self, language: Language) -> bool:
        return language in self.languages and FAMILY[language] in self._families

    async def start(self) -> None:
        """Starts every family at once; SandboxError when none could start."""
        families = list(self._families.values())
        await asyncio.gather(*(family.ensure(force=True) for family in families))
        if families and all(family.backend is None for family in families):
            raise SandboxError("; ".join(f"{f.name}: {f.down}" for f in families))

    async def run(self, jobs: Sequence[Job]) -> list[JobResult]:
        by_family: dict[Family, list[int]] = {}
        results: list[JobResult | None] = [None] * len(jobs)
        for index, job in enumerate(jobs):
            if not self.enabled(job.language):
                results[index] = JobResult.infra(
                    f"{job.language} is not enabled on this server (REWARD_SANDBOX_LANGUAGES)"
                )
            else:
                by_family.setdefault(FAMILY[job.language], []).append(index)

        async def run_family(name: Family, indices: list[int]) -> None:
            family = self._families[name]
            backend = await family.ensure()
            if backend is None:
                for index in indices:
                    results[index] = JobResult.infra(f"{name} sandbox: {family.down}")
                return
            done = await backend.run([jobs[index] for index in indices])
            for index, result in zip(indices, done, strict=True):
                results[index] = result

        await asyncio.gather(*(run_family(name, idx) for name, idx in by_family.items()))
        return [r if r is not None else JobResult.infra("not run") for r in results]

    def health(self) -> SandboxHealth:
        pools = {
            name: family.backend.health()
            for name, family in self._families.items()
            if family.backend is not None
        }
        languages = {}
        for language in LANGUAGES:
            family = self._families.get(FAMILY[language])
            if family is None or not self.enabled(language):
                languages[language] = LanguageHealth(
                    ready=False, reason="not enabled on this server (REWARD_SANDBOX_LANGUAGES)"
                )
                continue
            pool = pools.get(family.name)
            toolchain = (pool.toolchain or {}).get(language) if pool else None
            languages[language] = LanguageHealth(
                ready=pool is not None and pool.ready,
                reason=family.down if pool is None else pool.reason,
                image=family.image,
                toolchain=toolchain,
            )
        ready = [health for health in pools.values() if health.ready]
        reasons = [f"{f.name}: {f.down}" for f in self._families.values() if f.backend is None]
        one = next(iter(pools.values()), None)
        return SandboxHealth(
            ready=bool(ready),
            reason=None if ready else "; ".join(reasons) or "no sandbox is ready",
            backend=one.backend if one else None,
            pool_id=one.pool_id if one else None,
            pool_size=sum(h.pool_size for h in pools.values()),
            pool_target=sum(h.pool_target for h in pools.values()),
            idle=sum(h.idle for h in pools.values()),
            busy=sum(h.busy for h in pools.values()),
            queued=sum(h.queued for h in pools.values()),
            last_error=next((h.last_error for h in pools.values() if h.last_error), None),
            languages=languages,
            engine=one.engine if one else None,
        )

    async def aclose(self) -> None:
        backends = [f.backend for f in self._families.values() if f.backend is not None]
        await asyncio.gather(*(backend.aclose() for backend in backends), return_exceptions=True)
