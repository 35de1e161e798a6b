"""The judge and its plan without Docker: a forked process answers as the program process does
(`program.answer_message`), the judge runs tests against it over real pipes."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sandbox_runner import ahead, bridge, framing, plan
from sandbox_runner.calls import Bridge
from sandbox_runner.judge import call_checker, judge_call, judge_one
from sandbox_runner.program import Held, answer_message, names_of


@contextmanager
def program(source: str) -> Iterator[tuple[Bridge, dict[str, str], list[dict]]]:
    """A forked program process for trusted test programs; yields the judge's bridge to it,
    its names, and the requests it was sent (filled once the block ends)."""
    namespace: dict = {}
    exec(textwrap.dedent(source), namespace)
    calls_r, calls_w = os.pipe()
    replies_r, replies_w = os.pipe()
    log_r, log_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            for fd in (calls_w, replies_r, log_r):  # else the request pipe never ends
                os.close(fd)
            requests = framing.Reader(calls_r)
            held = Held()
            while (message := requests.message()) is not None:
                framing.send(log_w, message)
                answer_message(message, namespace, held, replies_w)
        finally:
            os._exit(0)
    for fd in (calls_r, replies_w, log_w):
        os.close(fd)
    seen: list[dict] = []
    try:
        yield Bridge(calls_w, replies_r), names_of(namespace), seen
    finally:
        os.close(calls_w)
        os.waitpid(pid, 0)
        reader = framing.Reader(log_r)
        while (message := reader.message()) is not None:
            seen.append(message)
        os.close(replies_r)
        os.close(log_r)


def judged(source: str, test: str, entry_point: str | None = None) -> dict:
    with program(source) as (channel, names, _):
        return judge_one(textwrap.dedent(test), names, entry_point, channel)


def test_passes_and_fails_like_asserts_do() -> None:
    source = "def add(a, b):\n    return a + b\n"
    assert judged(source, "assert add(1, 2) == 3") == {"status": "passed", "detail": None}
    assert judged(source, "assert add(1, 2) == 4")["status"] == "failed"
    assert judged(source, "assert add(1, 2) ==")["detail"].startswith("test: SyntaxError")


def test_humaneval_form_reaches_the_entry_point_as_candidate() -> None:
    check = (
        "def check(candidate):\n"
        "    assert candidate(2) == 4\n"
        "    assert candidate(3) == 9\n\n"
        "check(sq)\n"
    )
    assert judged("def sq(x):\n    return x * x\n", check, "sq")["status"] == "passed"


def test_program_exceptions_keep_their_meaning() -> None:
    source = """
    def f(x):
        if x < 0:
            raise ValueError('negative')
        if x == 0:
            raise KeyboardInterrupt
        if x == 1:
            raise SystemExit(0)
        return x
    """
    expects_value_error = (
        "try:\n    f(-1)\nexcept ValueError as e:\n    assert 'negative' in str(e)\n"
    )
    assert judged(source, expects_value_error)["status"] == "passed"
    swallow = "try:\n    f(0)\nexcept Exception:\n    pass\n"  # KeyboardInterrupt is no Exception
    assert judged(source, swallow)["status"] == "runtime_error"
    assert judged(source, "f(1)")["status"] == "failed"  # SystemExit fails the test, as inside
    assert judged(source, "f(-1)") == {"status": "runtime_error", "detail": "ValueError: negative"}


def test_what_is_not_plain_data_fails_the_test_even_when_it_is_swallowed() -> None:
    source = "class E:\n    def __eq__(self, o):\n        return True\ndef f():\n    return E()\n"
    assert judged(source, "assert f() == 1") == {
        "status": "failed",
        "detail": "the test compared an E that f returned, which is not plain data (only its "
        "truth, str, length and items cross)",
    }
    swallowed = "try:\n    assert f() == 1\nexcept BaseException:\n    pass\n"
    assert judged(source, swallowed)["status"] == "failed"
    # only using it decides: a test that never looks at the value passes, as in plain Python
    assert judged(source, "try:\n    f()\nexcept BaseException:\n    pass\n")["status"] == "passed"
    passing_an_object = "class T:\n    pass\nassert f(T()) == 1"
    assert judged("def f(x):\n    return 1\n", passing_an_object)["status"] == "runtime_error"


def test_mutation_iterators_and_module_values() -> None:
    source = """
    LIMIT = 3
    def sort_it(xs):
        xs.sort()
    def count(n):
        yield from range(n)
    """
    assert judged(source, "l = [3, 1, 2]\nsort_it(l)\nassert l == [1, 2, 3]")["status"] == "passed"
    assert judged(source, "assert list(count(LIMIT)) == [0, 1, 2]")["status"] == "passed"


def test_the_tests_own_builtins_stay_the_judges() -> None:
    source = "abs = lambda x: 0\nlen = lambda x: 7\ndef f():\n    return [5]\n"
    assert judged(source, "assert abs(-3) == 3 and len(f()) == 1")["status"] == "passed"
    mbpp_126 = "def sum(a, b):\n    return a + b\n"
    assert judged(mbpp_126, "assert sum(10, 15) == 25")["status"] == "passed"


def test_a_program_process_that_ends_loses_the_test() -> None:
    source = "import os\ndef f():\n    os._exit(3)\n"
    assert judged(source, "try:\n    f()\nexcept BaseException:\n    pass\n") == {"lost": True}


def test_calls_the_text_fixes_go_in_one_batch_and_run_once_in_order() -> None:
    source = "seen = []\ndef f(x):\n    seen.append(x)\n    return x * 2\n"
    test = "assert f(1) == 2\nassert f(2) == 4\nassert f(3) == 6\n"
    with program(source) as (channel, names, requests):
        assert judge_one(test, names, None, channel)["status"] == "passed"
        assert channel.get("seen") == [1, 2, 3]
    assert [list(r) for r in requests] == [["ahead"], ["get"]]


def test_a_test_that_leaves_the_plan_goes_live_without_rerunning_anything() -> None:
    source = "seen = []\ndef f(x):\n    seen.append(x)\n    return x\n"
    test = "assert f(1) == 1\nassert f(2) == 2\nfor i in range(3, 5):\n    assert f(i) == i\n"
    with program(source) as (channel, names, _):
        assert judge_one(test, names, None, channel)["status"] == "passed"
        assert channel.get("seen") == [1, 2, 3, 4]


def test_nothing_is_run_ahead_after_a_call_that_raises() -> None:
    source = (
        "seen = []\n"
        "def f(x):\n    seen.append(x)\n    if x == 2:\n        raise ValueError\n    return x\n"
    )
    test = "assert f(1) == 1\nassert f(2) == 2\nassert f(3) == 3\n"
    with program(source) as (channel, names, _):
        assert judge_one(test, names, None, channel)["status"] == "runtime_error"
        assert channel.get("seen") == [1, 2]


@pytest.mark.parametrize(
    ("test", "why"),
    [
        ("assert f([3, 1]) == [1, 3]", None),
        ("assert math.isclose(f(1), 2.0)", None),
        ("p = Pair(1, 2)\nassert p.larger() == 2", "reads .larger, which no plain value has"),
        ("root = Node(1)\nroot.left = Node(2)\nassert depth(root) == 2", "reads .left"),
        ("assert apply(lambda x: x + 1, 2) == 3", "passes a lambda to the program"),
        ("assert compose(f, g)(1) == 2", "passes f to the program"),
        ("assert chain([Pair(5, 24)]) == 1", "passes program objects to the program"),
        ("assert isinstance(f(), Thing)", "checks against a program class"),
        ("try:\n    f()\nexcept Oops:\n    pass", "catches a program exception class"),
        ("assert cache.get(1) == 2", "reads an attribute of the program's cache"),
        ("assert Find_Max([1, 2]) == 2", None),  # MBPP's capitalised functions
        ("rng = random.Random(0)\nassert f(rng.randint(1, 3)) > 0", None),
    ],
)
def test_needs_program_objects_reads_only_the_text(test: str, why: str | None) -> None:
    found = plan.needs_program_objects(test)
    assert (found is None) if why is None else (found is not None and found.startswith(why))


def calls(source: str, owned: frozenset[str], entry_point: str | None) -> tuple:
    return ahead.known_calls(source, owned, entry_point)[0]


def test_known_calls_stop_where_the_text_stops_fixing_the_calls() -> None:
    owned = frozenset({"f"})
    assert calls("assert f(1) == 1 or f(2) == 2", owned, None) == ()
    assert calls("x = 3\nassert f(x) == 1\nassert f(1) == 1", owned, None) == ()
    helper = "def h():\n    return f(9)\nassert f(1) == h()\nassert f(2) == 2"
    assert calls(helper, owned, None) == ()
    two = calls("assert f(1) == 1\nassert sorted(f([2, 1])) == [1, 2]", owned, None)
    assert two == (("f", (1,), ()), ("f", ([2, 1],), ()))
    passed_around = "assert f(1) == 1\nassert list(map(f, [1])) == [1]"
    assert calls(passed_around, owned, None) == (("f", (1,), ()),)


def test_program_owned_names() -> None:
    defined = {"f": "callable", "abs": "callable", "math": "module:math", "sum": "callable"}
    assert plan.program_owned({"f", "abs", "math"}, defined, None) == {"f"}
    assert plan.program_owned({"sum"}, defined, None) == {"sum"}
    assert plan.program_owned({"abs", "sum"}, defined, "sum") == {"sum"}
    assert plan.program_owned({"math"}, defined, None) == set()


def judge_job(channel: Bridge, names: dict[str, str], tests: list[str]) -> list[str]:
    """What `judge_loop` does with a job's tests: each judged in turn, the calls of those after
    it asked ahead while nothing is still coming."""
    statuses = []
    for position, test in enumerate(tests):
        channel.test = position
        following = tests[position + 1 :] if channel.idle else []
        statuses.append(judge_one(test, names, None, channel, following)["status"])
    return statuses


def test_a_jobs_tests_ask_their_calls_ahead_together_and_each_runs_once() -> None:
    source = "seen = []\ndef f(x):\n    seen.append(x)\n    return x * 2\n"
    tests = [f"assert f({x}) == {2 * x}" for x in range(5)]
    with program(source) as (channel, names, requests):
        assert judge_job(channel, names, tests) == ["passed"] * 5
        assert channel.get("seen") == [0, 1, 2, 3, 4]
    assert [list(r) for r in requests] == [["ahead"], ["get"]]


def test_a_failed_assert_leaves_its_tests_answers_unused_and_the_next_test_takes_its_own() -> None:
    source = "seen = []\ndef f(x):\n    seen.append(x)\n    return x\n"
    tests = ["assert f(1) == 0\nassert f(2) == 2", "assert f(3) == 3", "assert f(4) == 4"]
    with program(source) as (channel, names, requests):
        assert judge_job(channel, names, tests) == ["failed", "passed", "passed"]
        # f(2) ran as it does when a test's calls are asked ahead; nothing ran twice
        assert channel.get("seen") == [1, 2, 3, 4]
    assert [list(r) for r in requests] == [["ahead"], ["get"]]


def test_run_ahead_stops_before_a_test_that_reads_a_program_value() -> None:
    source = "seen = []\ndef f(x):\n    seen.append(x)\n    return len(seen)\n"
    tests = ["assert f(1) == 1", "assert f(2) == 2", "assert seen == [1, 2]", "assert f(3) == 3"]
    with program(source) as (channel, names, requests):
        assert judge_job(channel, names, tests) == ["passed"] * 4
    assert [next(iter(r)) for r in requests] == ["ahead", "get", "call"]


def test_after_a_call_that_raises_the_next_tests_are_asked_again_and_nothing_runs_twice() -> None:
    source = (
        "seen = []\n"
        "def f(x):\n    seen.append(x)\n    if x == 2:\n        raise ValueError\n    return x\n"
    )
    tests = [f"assert f({x}) == {x}" for x in range(1, 6)]
    with program(source) as (channel, names, requests):
        statuses = judge_job(channel, names, tests)
        assert statuses == ["passed", "runtime_error", "passed", "passed", "passed"]
        assert channel.get("seen") == [1, 2, 3, 4, 5]
    assert [list(r) for r in requests] == [["ahead"], ["ahead"], ["get"]]


def test_a_loop_ends_the_plan_and_the_tests_after_it_are_asked_when_it_is_done() -> None:
    source = "seen = []\ndef f(x):\n    seen.append(x)\n    return x\n"
    tests = ["assert f(1) == 1", "for i in (2, 3):\n    assert f(i) == i", "assert f(4) == 4"]
    with program(source) as (channel, names, requests):
        assert judge_job(channel, names, tests) == ["passed"] * 3
        assert channel.get("seen") == [1, 2, 3, 4]
    kinds = [next(iter(r)) for r in requests]
    assert kinds == ["call", "call", "call", "call", "get"]  # each plan too short to batch


def test_known_calls_say_when_they_cover_every_call() -> None:
    owned = frozenset({"f"})
    assert ahead.known_calls("assert f(1) == 1\nassert f(2) == 2", owned, None)[1]
    assert not ahead.known_calls("assert f(1) == 1\nprint(f(2))", owned, None)[1]
    assert ahead.known_calls("assert f(1) == 1, f(9)", owned, None)[1]  # a message: on failure
    assert ahead.known_calls("print\nassert f(1) == 1\npass", owned, None)[1]  # HumanEval 129
    assert not ahead.known_calls("assert 0 < f(1) < f(2)", owned, None)[1]  # may stop early
    assert not ahead.known_calls("@d\ndef check(c):\n    pass\nassert f(1)", owned, None)[1]
    assert not ahead.known_calls("def h(x=f(3)):\n    pass\nassert f(1)", owned, None)[1]
    humaneval = "def check(candidate):\n    assert candidate(1) == 1\n\ncheck(f)\n"
    assert ahead.known_calls(humaneval, owned, "f") == ((("f", (1,), ()),), True)
    assert not ahead.known_calls(humaneval + "print(f(2))\n", owned, "f")[1]


def test_constant_expressions_are_planned_as_python_computes_them() -> None:
    owned = frozenset({"f"})
    test = "assert f(13441 * 19) == 0\nassert f([1, 0**0], -2.5) == 1\nassert f('ab' * 2) == 2"
    calls, complete = ahead.known_calls(test, owned, None)
    assert complete
    assert calls == (("f", (255379,), ()), ("f", ([1, 1], -2.5), ()), ("f", ("abab",), ()))
    for too_big in ("'a' * 10**9", "2 ** 10**6", "(2**4096)**256", "1 / 0", "x + 1"):
        assert ahead.known_calls(f"assert f({too_big}) == 1", owned, None) == ((), False), too_big


def test_a_message_that_calls_the_program_runs_after_the_calls_asked_ahead_and_once() -> None:
    source = "seen = []\ndef f(x):\n    seen.append(x)\n    return x\n"
    tests = ["assert f(1) == 0, f(9)", "assert f(2) == 2", "assert f(3) == 3"]
    with program(source) as (channel, names, requests):
        assert judge_job(channel, names, tests) == ["failed", "passed", "passed"]
        assert channel.get("seen") == [1, 2, 3, 9]  # the message's call after those asked ahead
    assert [next(iter(r)) for r in requests] == ["ahead", "call", "get"]


def test_bytearrays_cross_and_in_place_mutation_reaches_the_test() -> None:
    source = "def f(b):\n    b[0] ^= 1\n    b.extend(b'!')\n    return bytearray(b'x') + b\n"
    test = "buf = bytearray(b'ab')\nassert f(buf) == bytearray(b'x`b!')\nassert buf == b'`b!'"
    assert judged(source, test)["status"] == "passed"


def test_a_match_answers_truth_identity_type_and_str_as_plain_python_does() -> None:
    source = "import re\ndef m(s):\n    return re.search('^a+', s)\n"
    for test in (
        "assert m('aab')\nassert not m('ba')",
        "assert m('aab') is not None\nassert m('b') is None",
        "assert type(m('a')).__name__ == 'Match'",
        "assert str(m('aa')).startswith('<re.Match object; span=(0, 2)')",
        "assert f'{m(\"a\")!r}' == repr(m('a'))",
        "assert m('a') != None and not (m('a') == None)",
        "assert [bool(x) for x in (m('a'), m('b'))] == [True, False]",
    ):
        assert judged(source, test) == {"status": "passed", "detail": None}, test


def test_a_value_that_is_not_plain_data_never_decides_a_comparison() -> None:
    liar = (
        "class Liar:\n"
        "    def __eq__(self, other): return True\n"
        "    def __lt__(self, other): return True\n"
        "    def __bool__(self): return True\n"
        "    def __hash__(self): return 0\n"
        "    def __len__(self): return 3\n"
        "    def __str__(self): return '[1, 2, 3]'\n"
        "Liar.__name__ = Liar.__qualname__ = 'list'\n"
        "def f():\n    return Liar()\n"
    )
    for test in (
        "assert f() == [1, 2, 3]",
        "assert [1, 2, 3] == f()",
        "assert not f() != [1, 2, 3]",
        "assert f() < 1",
        "assert f() in {f()}",
        "assert 3 in f()",
        "assert f() + 1",
        "assert f().anything",
        "try:\n    assert f() == 1\nexcept Exception:\n    pass",
    ):
        result = judged(liar, test)
        assert result["status"] == "failed" and "not plain data" in result["detail"], (test, result)
    # what it may decide is what a plain value could have decided as well
    assert judged(liar, "assert f()")["status"] == "passed"
    assert judged(liar, "assert len(f()) == 3")["status"] == "passed"
    assert judged(liar, "sorted(f())")["detail"] == "TypeError: 'list' object is not iterable"
    assert judged(liar, "assert str(f()) == '[1, 2, 3]'")["status"] == "passed"
    assert judged(liar, "assert type(f()) is not list")["status"] == "passed"


def test_the_items_of_a_value_that_is_not_plain_data_cross_as_plain_data() -> None:
    source = (
        "def keys():\n    return {'b': 1, 'a': 2}.keys()\ndef items():\n    return {3: 4}.items()\n"
    )
    for test in (
        "assert sorted(keys()) == ['a', 'b']",
        "assert len(keys()) == 2 and list(items()) == [(3, 4)]",
        "assert [k for k in keys()] == ['b', 'a']",
    ):
        assert judged(source, test) == {"status": "passed", "detail": None}, test
    indexable = "class Row:\n    def __getitem__(self, i):\n        return [10, 20][i]\n"
    indexable += "def row():\n    return Row()\n"
    assert judged(indexable, "assert row()[1] == 20")["status"] == "passed"
    assert (
        judged(indexable, "assert row()[5] == 20")["detail"]
        == "IndexError: list index out of range"
    )


def test_a_value_that_is_not_plain_data_can_go_back_to_the_program() -> None:
    source = (
        "class Box:\n    def __init__(self, v): self.v = v\n"
        "def make(v):\n    return Box(v)\n"
        "def unbox(b):\n    return b.v\n"
        "def first(boxes):\n    return boxes[0]\n"
    )
    test = "b = make(7)\nassert unbox(b) == 7\nassert unbox(first([make(3), b])) == 3"
    assert judged(source, test)["status"] == "passed"


def test_stop_iteration_from_the_program_never_ends_the_tests_iteration() -> None:
    source = "def f(x):\n    if x == 2:\n        raise StopIteration\n    return True\n"
    result = judged(source, "assert all(map(f, [1, 2, 3]))")
    assert result["status"] == "runtime_error"
    assert result["detail"] == "RuntimeError: the program raised StopIteration"
    source = "def g():\n    yield 1\n    raise StopAsyncIteration\n"
    assert judged(source, "assert list(g()) == [1]")["status"] == "runtime_error"
    # an iterator's own end is the end of iteration, as ever
    assert judged("def h():\n    yield 1\n    yield 2\n", "assert list(h()) == [1, 2]")[
        "status"
    ] == ("passed")


def called(source: str, cases: list[tuple[list, object]], check: str | None = None) -> list[dict]:
    """The calls form: each (args, expected) against the program's `f`, asked ahead as a job."""
    trees = [{"args": bridge.to_tree(args), "expected": bridge.to_tree(out)} for args, out in cases]
    results = []
    with program(source) as (channel, _, seen):
        for position, case in enumerate(trees):
            channel.test = position
            following = trees[position + 1 :] if channel.idle else []
            check_fn = call_checker(check) if check is not None else None
            results.append(judge_call(case, "f", check_fn, channel, following))
    assert sum("ahead" in message for message in seen) <= 1  # every call asked in one request
    return results


def test_calls_are_judged_by_equality_without_parsing_any_test() -> None:
    source = "def f(xs, k=1):\n    return tuple(sorted(xs))[:k] if k else None\n"
    results = called(source, [([[3, 1, 2], 2], (1, 2)), ([[1], 0], None), ([[5, 4]], [4])])
    assert [r["status"] for r in results] == ["passed", "passed", "failed"]
    assert results[2]["detail"] == "AssertionError: f returned (4,), not [4]"


def test_a_call_check_decides_with_real_values() -> None:
    check = "import math\ndef check(out, expected, args):\n"
    check += "    return math.isclose(out, expected, abs_tol=1e-6)\n"
    results = called("def f(x):\n    return x / 3\n", [([1], 0.3333333), ([1], 0.5)], check)
    assert [r["status"] for r in results] == ["passed", "failed"]
    not_none = "def check(out, expected, args):\n    return expected == (out is not None)\n"
    matches = called(
        "import re\ndef f(s):\n    return re.search('^a', s)\n",
        [(["ab"], True), (["b"], False), (["b"], True)],
        not_none,
    )
    assert [r["status"] for r in matches] == ["passed", "passed", "failed"]


def test_a_program_exception_or_a_liar_fails_a_call() -> None:
    liar = "class E:\n    def __eq__(self, o):\n        return True\n"
    liar += "def f(x):\n    if x:\n        raise ValueError('no')\n    return E()\n"
    raised, lied = called(liar, [([1], 1), ([0], 1)])
    assert (raised["status"], raised["detail"]) == ("runtime_error", "ValueError: no")
    assert lied["status"] == "failed" and "not plain data" in lied["detail"]
