"""Symbolic equivalence of LaTeX answers with math-verify (pure apart from its own alarm).

math-verify enforces its timeouts with `signal.alarm`, which only works on a process's main
thread: called from a server's worker thread it fails and, in other projects, silently scored
every item 0. So this function is meant to run on the main thread of a worker process (see
`reward_service.latex_pool`), where the alarm works, with an outer deadline as a backstop.
"""

from __future__ import annotations

import math
import threading

from reward_service.rewards.math import MathGrade, gold_text

_MARKER = "####"


def _as_latex(gold: str) -> str:
    """Gold answers usually come bare (`\\frac{1}{2}`); math-verify wants math delimiters."""
    if _MARKER in gold:
        gold = gold.rpartition(_MARKER)[2].strip()
    if "$" in gold or "\\boxed" in gold or "\\(" in gold or "\\[" in gold:
        return gold
    return f"${gold}$"


def grade_latex(completion: str, answer: str | int | float, timeout_s: float) -> MathGrade:
    """Grade by symbolic equivalence; `timeout_s` bounds parsing and verification each."""
    from math_verify import parse, verify  # heavy (sympy); only workers pay for it

    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("grade_latex needs a main thread: math-verify's timeout uses SIGALRM")
    from math_verify.errors import TimeoutException

    seconds = max(1, math.ceil(timeout_s))  # signal.alarm counts whole seconds
    try:
        gold = parse(_as_latex(gold_text(answer)), parsing_timeout=seconds, raise_on_error=True)
    except TimeoutException:
        return MathGrade("error", error=f"parsing the gold answer took over {seconds}s")
    except Exception as exc:  # math-verify raises many types on malformed LaTeX
        return MathGrade("error", error=f"gold answer did not parse: {exc}")
    if not gold:
        return MathGrade("error", error=f"gold answer {str(answer)[:80]!r} did not parse")
    try:
        predicted = parse(completion, parsing_timeout=seconds, raise_on_error=True)
    except TimeoutException:
        return MathGrade("error", error=f"parsing the completion took over {seconds}s")
    except Exception:  # unparseable LaTeX in a completion is a missing answer, not our error
        predicted = []
    if not predicted:
        return MathGrade("missing")
    extracted = str(predicted[-1]) if isinstance(predicted[-1], str) else str(predicted[0])
    try:
        ok = verify(gold, predicted, timeout_seconds=seconds, raise_on_error=True)
    except TimeoutException:
        return MathGrade("error", extracted=extracted, error=f"verification took over {seconds}s")
    except Exception:
        ok = False
    return MathGrade("correct" if ok else "wrong", extracted=extracted)
