"""How a test is judged, decided from its text alone (never from what the program does).

Most asserts only call the program's functions on plain data and compare the results: those are
judged outside the program, in the judge process (`judge.py`). A test that needs the program's
own objects is judged inside the program's interpreter (the weaker mode, marked in the result):
`needs_program_objects` says why, or None. It looks for

- an attribute of a program value (`cache.get(1)`: the judge would only hold a copy), or one no
  plain value has on what a program call returned (`root = Node(1); root.left`, `f(x).next`);
- `isinstance`, `except` or a subclass with a program class;
- program objects or callbacks passed to a program call: an instance of a CapWords program
  class (PEP 8's class names), a lambda, a function of the test's or of the program's
  (`chain([Pair(5, 24)])`, `apply(lambda x: x + 1, 2)`, `compose(f, g)`).

`program_owned` decides which of the names a test uses are the program's (stubs in the judge),
so a program that rebinds `abs` cannot change what the test's own `abs` means, while a task whose
function under test is called `sum` (MBPP 126) still reaches it.

>>> needs_program_objects("assert f([3, 1]) == [1, 3]") is None
True
>>> needs_program_objects("p = Pair(1, 2)\\nassert p.larger() == 2")
'reads .larger, which no plain value has'
>>> sorted(program_owned({"sum"}, {"sum": "callable"}, None))
['sum']
>>> sorted(program_owned({"abs", "f"}, {"abs": "callable", "f": "callable"}, None))
['f']
"""

from __future__ import annotations

import ast
import builtins
import functools
import sys
from collections.abc import Callable
from typing import TypeVar

BUILTIN_NAMES = frozenset(dir(builtins))
STDLIB_MODULES = frozenset(getattr(sys, "stdlib_module_names", ()))
# attributes a plain value may have: a test reading one of them needs no program object
PLAIN_ATTRIBUTES = frozenset(
    name
    for kind in (str, bytes, int, float, complex, list, tuple, dict, set, frozenset, range)
    for name in dir(kind)
)


def nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node of `tree`, in no particular order: `ast.walk` without its generators, three
    times as fast (the judge scans every test it has not seen)."""
    found, stack, node_type = [], [tree], ast.AST
    while stack:
        node = stack.pop()
        found.append(node)
        for field in node._fields:
            value = getattr(node, field, None)
            if type(value) is list:
                for item in value:
                    if isinstance(item, node_type):
                        stack.append(item)
            elif isinstance(value, node_type):
                stack.append(value)
    return found


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_CAPTURES = (ast.MatchAs, ast.MatchStar)  # match-statement names


class _Scan:
    """The names a test reads, binds, and defines as callables (functions, classes, lambdas)."""

    def __init__(self, tree: ast.AST) -> None:
        self.loaded: set[str] = set()
        self.bound: set[str] = set()
        self.test_callables: set[str] = set()
        for node in nodes(tree):
            kind = type(node)
            if kind is ast.Name:
                (self.loaded if type(node.ctx) is ast.Load else self.bound).add(node.id)
            elif kind in _DEFINITIONS:
                self.bound.add(node.name)
                self.test_callables.add(node.name)
            elif kind is ast.arg:
                self.bound.add(node.arg)
            elif kind is ast.alias:
                self.bound.add((node.asname or node.name).split(".")[0])
            elif kind is ast.ExceptHandler and node.name:
                self.bound.add(node.name)
            elif kind is ast.Assign and type(node.value) is ast.Lambda:
                self.test_callables.update(t.id for t in node.targets if type(t) is ast.Name)
            elif kind in _CAPTURES and node.name:
                self.bound.add(node.name)
            elif kind is ast.MatchMapping and node.rest:
                self.bound.add(node.rest)


BIG_SOURCE = 1 << 16  # characters: a test with large literals (EvalPlus inputs)
T = TypeVar("T")
_BIG_CACHES: list = []


def by_source(maxsize: int) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """`functools.lru_cache` for functions of a test's source, except that a big test is kept
    only until the next big one or `release_big`: a GRPO group's completions share their (small)
    tests, and a big test's tree (about 1 KB a literal value) or planned arguments must not stay
    in the runner's or the judge's memory beside the program's."""

    def wrap(function: Callable[..., T]) -> Callable[..., T]:
        small = functools.lru_cache(maxsize)(function)
        big = functools.lru_cache(1)(function)
        _BIG_CACHES.append(big)

        @functools.wraps(function)
        def cached(source: str, *args: object) -> T:
            return (big if len(source) > BIG_SOURCE else small)(source, *args)

        return cached

    return wrap


def release_big() -> None:
    """Forgets what was cached for big tests (once a test is judged, or placed)."""
    for cache in _BIG_CACHES:
        cache.cache_clear()


@by_source(maxsize=16)  # the judge reads one test three ways in a row: parse it once
def parsed(source: str) -> ast.Module:
    """The test's syntax tree (SyntaxError and the like propagate). Small cache: trees are
    large, and what is derived from them has caches of its own."""
    return ast.parse(source)


@by_source(maxsize=4096)  # a GRPO group's completions share their tests
def free_names(source: str) -> frozenset[str]:
    """Names the test reads that it does not bind itself (builtins included)."""
    scan = _Scan(parsed(source))
    return frozenset(scan.loaded - scan.bound)


@by_source(maxsize=4096)
def needs_program_objects(source: str) -> str | None:
    """Why this test must be judged inside the program's interpreter, or None."""
    try:
        tree = parsed(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # the judge reports it as a test that does not compile
    test = _TestNames(tree)
    for node in test.every:
        why = test.why(node)
        if why is not None:
            return why
    return None


class _TestNames:
    """What a test's names are: the program's values, calls that may reach the program, and the
    test's variables holding what such a call returned (`root = Node(1)`)."""

    def __init__(self, tree: ast.AST) -> None:
        self.scan = _Scan(tree)
        self.free = self.scan.loaded - self.scan.bound
        self.every = nodes(tree)
        self.derived = {
            target.id
            for node in self.every
            if isinstance(node, ast.Assign)
            and any(self.program_call(n) for n in ast.walk(node.value))
            for target in node.targets
            if isinstance(target, ast.Name)
        }

    def program_value(self, node: ast.AST) -> bool:
        return (
            isinstance(node, ast.Name)
            and node.id in self.free
            and node.id not in BUILTIN_NAMES
            and node.id not in STDLIB_MODULES
        )

    def program_call(self, node: ast.AST) -> bool:
        """A call that may reach the program: not a builtin's, not the test's own function."""
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            return False
        name = node.func.id
        return name not in BUILTIN_NAMES and name not in self.scan.test_callables

    def class_call(self, node: ast.AST) -> bool:
        """A call of a CapWords program name (PEP 8's class names: `Pair`, not `Find_Max`)."""
        if not (isinstance(node, ast.Call) and self.program_value(node.func)):
            return False
        name = node.func.id  # type: ignore[attr-defined]
        return name[:1].isupper() and "_" not in name and not name.isupper()

    def program_object(self, node: ast.AST) -> bool:
        return (
            self.program_value(node)
            or self.program_call(node)
            or (isinstance(node, ast.Name) and node.id in self.derived)
        )

    def why(self, node: ast.AST) -> str | None:
        """Why this node needs the program's objects, or None."""
        if isinstance(node, ast.Attribute) and self.program_object(node.value):
            if self.program_value(node.value):
                return f"reads an attribute of the program's {node.value.id}"  # type: ignore[attr-defined]
            if node.attr not in PLAIN_ATTRIBUTES:
                return f"reads .{node.attr}, which no plain value has"
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("isinstance", "issubclass")
            and len(node.args) == 2
        ):
            kinds = node.args[1].elts if isinstance(node.args[1], ast.Tuple) else [node.args[1]]
            if any(self.program_value(kind) for kind in kinds):
                return "checks against a program class"
        if (
            isinstance(node, ast.ExceptHandler)
            and node.type is not None
            and any(self.program_value(n) for n in ast.walk(node.type))
        ):
            return "catches a program exception class"
        if isinstance(node, ast.ClassDef) and any(self.program_value(b) for b in node.bases):
            return "subclasses a program class"
        if isinstance(node, ast.Call) and self.program_call(node):
            return self.passed_to_program(node)
        return None

    def passed_to_program(self, call: ast.Call) -> str | None:
        """Program objects or callbacks among a program call's arguments."""
        for arg in [*call.args, *(k.value for k in call.keywords)]:
            value = arg.value if isinstance(arg, ast.Starred) else arg
            if isinstance(value, ast.Lambda):
                return "passes a lambda to the program"
            if isinstance(value, ast.Name) and (
                value.id in self.scan.test_callables or self.program_value(value)
            ):
                return f"passes {value.id} to the program"
            if any(self.class_call(inner) for inner in ast.walk(value)):
                return "passes program objects to the program"
        return None


def program_owned(free: set[str], defined: dict[str, str], entry_point: str | None) -> set[str]:
    """The names of `free` the judge takes from the program (`defined`: its names and kinds).

    The function under test (`entry_point`) and every program name that is not a builtin are
    the program's; a program name that shadows a builtin is the program's only when the test
    reaches no other program function (then it is the function under test), so `abs = lambda
    x: 0` beside the tested `f` leaves the test's `abs` the real one. Program modules are not
    taken: the judge imports its own, unpatched copy.
    """
    candidates = {n for n in free if n in defined and not defined[n].startswith("module")}
    own = {n for n in candidates if n not in BUILTIN_NAMES}
    if entry_point is not None and entry_point in defined:
        own.add(entry_point)
    return own if own else candidates
