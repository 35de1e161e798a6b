"""Runs `grade_latex` in worker processes, where math-verify's SIGALRM timeout works.

The alarm inside each worker is the first line of defence; a batch-level deadline is the
backstop for code that ignores signals (long C loops in sympy/gmpy). When the backstop fires,
the workers are killed and replaced, and unfinished items get status `error`.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from reward_service.rewards.latex import grade_latex
from reward_service.rewards.math import MathGrade

logger = logging.getLogger(__name__)


class LatexPool:
    """A lazily started pool of `workers` processes grading LaTeX answers.

    Requests share the pool. A request only ever restarts the executor its own items were
    submitted to, and items of other requests caught in a restart come back as `error`.
    """

    def __init__(self, workers: int, timeout_s: float) -> None:
        self.workers = workers
        self.timeout_s = timeout_s
        self._executor: ProcessPoolExecutor | None = None
        self._outstanding = 0  # items submitted and not yet finished, all requests together

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # spawn, not fork: the server process has threads, and fork copies their locks.
            context = multiprocessing.get_context("spawn")
            self._executor = ProcessPoolExecutor(self.workers, mp_context=context)
        return self._executor

    def _deadline_s(self, items: int) -> float:
        # Each item may spend up to three alarm periods (gold, completion, verify) and waits
        # behind everything already queued, in `workers` lanes. Generous: the alarm fires first.
        per_item = 3 * max(1.0, self.timeout_s) + 1.0
        waves = -(-items // self.workers)
        return waves * per_item + 5.0

    async def grade(self, items: list[tuple[str, str | int | float]]) -> list[MathGrade]:
        """Grade `(completion, answer)` pairs; never raises for a single item's trouble."""
        if not items:
            return []
        executor = self._pool()
        try:
            futures: list[Future[MathGrade]] = [
                executor.submit(grade_latex, completion, answer, self.timeout_s)
                for completion, answer in items
            ]
        except (BrokenProcessPool, RuntimeError):
            self._restart(executor, "the latex worker pool was broken")
            return [MathGrade("error", error="latex worker pool restarted; retry") for _ in items]
        deadline_s = self._deadline_s(self._outstanding + len(items))
        self._outstanding += len(items)
        waiting = [asyncio.wrap_future(f) for f in futures]
        try:
            _, pending = await asyncio.wait(waiting, timeout=deadline_s)
        finally:
            self._outstanding -= len(items)
        if pending:
            self._restart(executor, f"{len(pending)} latex items overran the backstop deadline")
        return [self._outcome(executor, waiter, timed_out=waiter in pending) for waiter in waiting]

    def _outcome(
        self, executor: ProcessPoolExecutor, waiter: asyncio.Future[MathGrade], timed_out: bool
    ) -> MathGrade:
        if timed_out:
            waiter.cancel()
            return MathGrade("error", error="latex grading timed out")
        if waiter.cancelled():  # another request's restart cancelled it before it started
            return MathGrade("error", error="latex worker pool restarted; retry")
        exc = waiter.exception()
        if exc is None:
            return waiter.result()
        if isinstance(exc, BrokenProcessPool):
            self._restart(executor, "a latex worker died")
        return MathGrade("error", error=f"latex grading failed: {exc!r}"[:300])

    def _restart(self, executor: ProcessPoolExecutor, why: str) -> None:
        if executor is not self._executor:
            return  # already replaced: another request restarted it
        logger.warning("restarting latex workers: %s", why)
        self.close(kill=True)

    def close(self, kill: bool = False) -> None:
        executor, self._executor = self._executor, None
        if executor is None:
            return
        if kill:
            # The executor has no public kill; a hung worker would otherwise block shutdown.
            for process in list(getattr(executor, "_processes", {}).values()):
                process.kill()
        executor.shutdown(wait=not kill, cancel_futures=True)
