"""When an item's tests end early: `stop_on_first_failure` and `deadline_s` (both in the job).

Both runners ask an `EarlyExit` before each test whether it still runs (`skipped`), give each
test the time left of the item's deadline at most (`timeout_s`, `deadline`), and say so when a
test's timeout was the item's deadline (`explained`). The first load's failure is never cut
short: it stays the load failure of every test, by the rule in the package docstring.

>>> early = EarlyExit({"stop_on_first_failure": True})
>>> early.skipped() is None
True
>>> early.record({"status": "failed"})
>>> early.skipped()["status"]
'skipped'
"""

from __future__ import annotations

import time

AFTER_FAILURE = {"status": "skipped", "detail": "not run: an earlier test did not pass"}
PAST_DEADLINE = {"status": "skipped", "detail": "not run: the item's deadline_s ran out"}


class EarlyExit:
    def __init__(self, job: dict) -> None:
        self.stop_on_failure = job.get("stop_on_first_failure") is True
        seconds = job.get("deadline_s")
        limited = type(seconds) in (int, float) and seconds > 0
        self.deadline: float | None = time.monotonic() + seconds if limited else None
        self.failed = False

    def record(self, result: dict) -> None:
        if result.get("status") != "passed":
            self.failed = True

    def skipped(self) -> dict | None:
        """The result of every test not yet run, when they are not to run; else None."""
        if self.stop_on_failure and self.failed:
            return dict(AFTER_FAILURE)
        if self.past_deadline():
            return dict(PAST_DEADLINE)
        return None

    def past_deadline(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def timeout_s(self, per_test: float) -> float:
        """A test's wall-clock limit: its own, or what is left of the item's deadline."""
        if self.deadline is None:
            return per_test
        return max(0.0, min(per_test, self.deadline - time.monotonic()))

    def explained(self, result: dict) -> dict:
        """A timeout that the item's deadline caused says so."""
        late = self.deadline is not None and time.monotonic() >= self.deadline
        if (
            result.get("status") == "timeout"
            and late
            and "deadline_s" not in (result.get("detail") or "")
        ):
            result = {**result, "detail": f"{result.get('detail')} (the item's deadline_s ran out)"}
        return result
