"""The Python runner: each job's tests, one job after another (`serve.py` reads the stream).

Forked by PID 1 (the zygote, `zygote.py`) at start. Per job: a code test is judged outside the
program (a program process from the zygote, `program_process.py`, called by the judge,
`judging.py`) unless its text needs the program's objects (`plan.py`) or the item asks
otherwise; then, as with `"isolation": "per_test"`, it runs inside a fresh child that loads the
program (`fresh.py`). stdin/stdout tests run in a stdio program process (`stdio.py`). After every
job every other process is killed and the writable dirs are wiped (`reset.py`).
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Iterable

from sandbox_runner import plan
from sandbox_runner.early_exit import EarlyExit
from sandbox_runner.fresh import decide, run_child
from sandbox_runner.judging import JudgeProcess
from sandbox_runner.outcome import HarnessError
from sandbox_runner.program_process import ProgramProcess
from sandbox_runner.reset import kill_leftovers, reset_container
from sandbox_runner.serve import log, serve
from sandbox_runner.stdio import stdio_test
from sandbox_runner.zygote import Zygote


def run_inside(job: dict, test: dict, runner: Runner, timeout_s: float) -> tuple[dict, bool]:
    """One test in a fresh child that loads the program; False when the runner itself failed
    while judging it.

    Whatever a program does, it gets a result: an exception in our code while watching or
    judging its test makes that test a `runtime_error` (the container is then replaced, in
    case the failure left something behind). Only a HarnessError (no process could be started
    for the test) makes the whole reply an error.
    """
    runner.drop_spare()
    uid = runner.uid
    try:
        result = decide(test, run_child(job, test, uid, timeout_s))
    except HarnessError:
        raise
    except Exception:  # logged; a program must never turn it into infra_error
        log(traceback.format_exc())
        return {"status": "runtime_error", "detail": "the runner could not judge this test"}, False
    kill_leftovers(uid)
    return result, True


class Runner:
    """What outlives a job: the zygote, the uids, a spare program process, the judge."""

    def __init__(self, uid: int, judge_uid: int, zygote: Zygote) -> None:
        self.uid, self.judge_uid, self.zygote = uid, judge_uid, zygote
        self.spare: ProgramProcess | None = None
        self.judge: JudgeProcess | None = None

    def program_process(self, job: dict, role: str) -> ProgramProcess:
        """The spare when it fits (spawned between jobs, same limits), else a new one; started."""
        process, self.spare = self.spare, None
        if process is None or process.limits != job["limits"] or process.status() is not None:
            if process is not None:
                process.close()
            process = ProgramProcess(self.zygote, self.uid, job["limits"])
        process.start(job, role)
        return process

    def drop_spare(self) -> None:
        """Before code runs inside a fresh child: the spare shares the program's uid, and one
        program must not reach the process the next job's program will run in."""
        if self.spare is not None:
            self.spare.close()
            self.spare = None

    def stock_spare(self, limits: dict) -> None:
        """Spawns the next job's program process now, while the service reads the reply."""
        if self.spare is None:
            self.spare = ProgramProcess(self.zygote, self.uid, limits)

    def judge_for(self, limits: dict) -> JudgeProcess:
        if self.judge is not None and not self.judge.fits(limits):
            self.drop_judge()
        if self.judge is None:
            self.judge = JudgeProcess(self.judge_uid, limits)
        return self.judge

    def drop_judge(self) -> None:
        if self.judge is not None:
            self.judge.close()
            self.judge = None


class Job:
    """One job's tests and what is known of its program so far."""

    def __init__(self, job: dict, runner: Runner) -> None:
        self.job, self.runner = job, runner
        self.uid = runner.uid
        self.tests: list[dict] = job["tests"]
        self.per_test = job.get("isolation") == "per_test"
        self.results: list[dict | None] = [None] * len(self.tests)
        self.load_failure: dict | None = None  # the first load failed: every test gets this
        self.loaded = False  # the program loaded once: later load failures are no phase
        self.reload_failure: dict = {"status": "runtime_error", "detail": "did not load again"}
        self.judged_ok = True
        self.early = EarlyExit(job)

    def place(self, index: int, result: dict, where: str) -> None:
        if "phase" in result:
            if self.loaded:
                result = {"status": result["status"], "detail": _reloaded(result)}
            else:
                self.load_failure = result
        else:
            self.loaded = True
        result = self.early.explained(result)
        self.early.record(result)
        self.results[index] = {**result, "judged_in": where}

    def skip_rest(self, indices: Iterable[int]) -> bool:
        """Whether the item stops here (`early_exit.py`): then `indices` are skipped."""
        why = self.early.skipped()
        if why is None or self.load_failure is not None:
            return False
        for index in indices:
            if self.results[index] is None:
                self.results[index] = dict(why)
        return True

    def timeout_s(self) -> float:
        return self.early.timeout_s(self.job["limits"]["timeout_s"])

    def cut_by_deadline(self, load: dict, indices: list[int], where: str) -> bool:
        """A load the item's deadline cut short is no load failure: its test timed out."""
        if load.get("status") != "timeout" or not self.early.past_deadline():
            return False
        self.place(
            indices[0], {"status": "timeout", "detail": "wall-clock time limit exceeded"}, where
        )
        self.skip_rest(indices)
        return True

    def run(self) -> list[dict]:
        if "stdout" in self.tests[0]:
            self.run_stdio()
        else:
            self.run_code()
        return [r if r is not None else _not_run() for r in self.results]

    def where(self, test: dict) -> str:
        asked = self.job.get("judge_in", "auto")
        if "call" in test:  # a call of the entry point on plain data: never the program's objects
            return "outside"
        if asked == "auto":
            return "inside" if plan.needs_program_objects(test["code"]) else "outside"
        return "inside" if asked == "inside" else "outside"

    def run_code(self) -> None:
        wheres = [self.where(test) for test in self.tests]
        plan.release_big()
        index = 0
        while index < len(self.tests):
            if self.load_failure is not None:
                self.place(index, dict(self.load_failure), wheres[index])
                index += 1
            elif self.skip_rest(range(index, len(self.tests))):
                return
            elif wheres[index] == "inside":
                self.run_one_inside(index, "inside")
                index += 1
            else:
                end = index + 1
                while end < len(self.tests) and wheres[end] == "outside":
                    end += 1
                self.run_outside(list(range(index, end)))
                index = end

    def run_one_inside(self, index: int, where: str) -> None:
        result, ok = run_inside(self.job, self.tests[index], self.runner, self.timeout_s())
        self.judged_ok = self.judged_ok and ok
        self.place(index, result, where)

    def run_outside(self, indices: list[int]) -> None:
        pending = indices
        while pending and self.load_failure is None and not self.skip_rest(pending):
            batch = pending[:1] if self.per_test else pending
            process = self.runner.program_process(self.job, "calls")
            try:
                load = process.await_load(self.timeout_s())
                if "names" not in load:  # the rest fail alike (a load failure if it is the first)
                    if not self.cut_by_deadline(load, pending, "outside"):
                        for index in pending:
                            self.place(index, dict(load), "outside")
                    return
                self.loaded = True
                judge = self.runner.judge_for(self.job["limits"])
                done = judge.run(process, self.job, batch, load["names"], self.early)
                if judge.broken:  # left mid-test: the next job gets a fresh judge
                    self.runner.drop_judge()
            finally:
                process.close()
            if not done:  # always progress: the judge could not even start this test
                done = {
                    batch[0]: {"status": "runtime_error", "detail": "the judge could not run it"}
                }
            for index, result in done.items():
                self.place(index, result, "outside")
            pending = [index for index in pending if index not in done]

    def run_stdio(self) -> None:
        if self.per_test:
            for index in range(len(self.tests)):
                if self.load_failure is not None:
                    self.place(index, dict(self.load_failure), "outside")
                elif self.skip_rest(range(index, len(self.tests))):
                    return
                else:
                    self.run_one_inside(index, "outside")
            return
        process: ProgramProcess | None = None
        try:
            for index, test in enumerate(self.tests):
                if self.load_failure is None and self.skip_rest(range(index, len(self.tests))):
                    return
                if process is None or process.status() is not None:
                    process = self._stdio_process(process, index)
                if process is None:  # it did not load: the load failure, for this test
                    if self.results[index] is None:
                        self.place(index, dict(self.load_failure or self.reload_failure), "outside")
                    continue
                try:
                    result, reusable = stdio_test(process, test, self.timeout_s())
                except HarnessError:  # it ended between tests: once more, in a fresh one
                    process = self._stdio_process(process, index)
                    if process is None:
                        if self.results[index] is None:
                            failure = self.load_failure or self.reload_failure
                            self.place(index, dict(failure), "outside")
                        continue
                    result, reusable = stdio_test(process, test, self.timeout_s())
                self.place(index, result, "outside")
                if not reusable:
                    process.close()
                    process = None
        finally:
            if process is not None:
                process.close()

    def _stdio_process(self, old: ProgramProcess | None, index: int) -> ProgramProcess | None:
        """A loaded stdio process for tests `index`.., or None with the failure recorded."""
        if old is not None:
            old.close()
        if self.load_failure is not None:
            return None
        process = self.runner.program_process(self.job, "stdio")
        load = process.await_load(self.timeout_s())
        if "names" in load:
            self.loaded = True
            return process
        process.close()
        if self.cut_by_deadline(load, list(range(index, len(self.tests))), "outside"):
            return None
        if self.loaded:
            self.reload_failure = {"status": load["status"], "detail": _reloaded(load)}
        else:
            self.load_failure = load
        return None


def _reloaded(result: dict) -> str:
    detail = result.get("detail") or result["status"]
    return f"the program did not load again after a failed test: {detail}"[:400]


def _not_run() -> dict:
    return {"status": "runtime_error", "detail": "the runner could not run this test"}


def run_job(job: dict, runner: Runner) -> dict:
    runner.zygote.exits.clear()
    if job.get("kind") == "checker":
        # an item's checker written in Python, run like a compiled language's (native/job.py),
        # as the program uid: the judge keeps a uid of its own that nothing else may use
        runner.drop_spare()
        from sandbox_runner.native.job import Uids, run_checker_job

        ids = Uids(runner.uid, runner.uid, runner.uid)
        results, _ = run_checker_job(job, ids)
        judged_ok = True
    else:
        work = Job(job, runner)
        results = work.run()
        judged_ok = work.judged_ok
    clean = reset_container(runner.uid, runner.judge_uid) and judged_ok
    return {"tests": results, "clean": clean}


def job_loop(uid: int, judge_uid: int, zygote: Zygote) -> int:
    """Answers jobs until the service closes the stream."""
    runner = Runner(uid, judge_uid, zygote)
    version = sys.version.split()[0]
    hello = {"ready": True, "uid": uid, "toolchain": {"python": f"Python {version}"}}

    def stock(job: dict) -> None:
        if isinstance(job.get("limits"), dict):
            runner.stock_spare(job["limits"])

    return serve(hello, lambda job: run_job(job, runner), after=stock)
