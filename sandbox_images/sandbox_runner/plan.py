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

BUILTIN_NAMES = frozenset(dir(builtins))
STDLIB_MODULES = frozenset(getattr(sys, "stdlib_module_names", ()))
# attributes a plain value may have: a test reading one of them needs no program object
PLAIN_ATTRIBUTES = frozenset(
    name
    for kind in (str, bytes, int, float, complex, list, tuple, dict, set, frozenset, range)
    for name in dir(kind)
)


class _Scan(ast.NodeVisitor):
    def __init__(self) -> None:
        self.loaded: set[str] = set()
        self.bound: set[str] = set()
        self.test_callables: set[str] = set()  # functions, classes and lambdas of the test

    def visit_Name(self, node: ast.Name) -> None:
        (self.loaded if isinstance(node.ctx, ast.Load) else self.bound).add(node.id)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.bound.add(node.name)
        self.test_callables.add(node.name)
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.bound.add(node.name)
        self.test_callables.add(node.name)
        self.generic_visit(node)

    def visit_arg(self, node: ast.arg) -> None:
        self.bound.add(node.arg)

    def visit_alias(self, node: ast.alias) -> None:
        self.bound.add((node.asname or node.name).split(".")[0])

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.bound.add(node.name)
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        if isinstance(node.value, ast.Lambda):
            self.test_callables.update(t.id for t in node.targets if isinstance(t, ast.Name))
        self.generic_visit(node)

    def generic_visit(self, node: ast.AST) -> None:
        for name in ("name", "rest"):  # match-statement captures
            value = getattr(node, name, None)
            if isinstance(node, (ast.MatchAs, ast.MatchStar, ast.MatchMapping)) and value:
                self.bound.add(value)
        super().generic_visit(node)


@functools.lru_cache(maxsize=4096)  # a GRPO group's completions share their tests
def free_names(source: str) -> frozenset[str]:
    """Names the test reads that it does not bind itself (builtins included)."""
    scan = _Scan()
    scan.visit(ast.parse(source))
    return frozenset(scan.loaded - scan.bound)


@functools.lru_cache(maxsize=4096)
def needs_program_objects(source: str) -> str | None:
    """Why this test must be judged inside the program's interpreter, or None."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # the judge reports it as a test that does not compile
    scan = _Scan()
    scan.visit(tree)
    free = scan.loaded - scan.bound

    def program_value(node: ast.AST) -> bool:
        return (
            isinstance(node, ast.Name)
            and node.id in free
            and node.id not in BUILTIN_NAMES
            and node.id not in STDLIB_MODULES
        )

    def program_call(node: ast.AST) -> bool:
        """A call that may reach the program: not a builtin's, not the test's own function."""
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            return False
        name = node.func.id
        return name not in BUILTIN_NAMES and name not in scan.test_callables

    def class_call(node: ast.AST) -> bool:
        """A call of a CapWords program name (PEP 8's class names: `Pair`, not `Find_Max`)."""
        if not (isinstance(node, ast.Call) and program_value(node.func)):
            return False
        name = node.func.id  # type: ignore[attr-defined]
        return name[:1].isupper() and "_" not in name and not name.isupper()

    # test variables holding what a program call returned: `root = Node(1)`
    derived = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and any(program_call(n) for n in ast.walk(node.value))
        for target in node.targets
        if isinstance(target, ast.Name)
    }

    def program_object(node: ast.AST) -> bool:
        return (
            program_value(node)
            or program_call(node)
            or (isinstance(node, ast.Name) and node.id in derived)
        )

    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and program_object(node.value):
            if program_value(node.value):
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
            if any(program_value(kind) for kind in kinds):
                return "checks against a program class"
        if (
            isinstance(node, ast.ExceptHandler)
            and node.type is not None
            and any(program_value(n) for n in ast.walk(node.type))
        ):
            return "catches a program exception class"
        if isinstance(node, ast.ClassDef) and any(program_value(b) for b in node.bases):
            return "subclasses a program class"
        if isinstance(node, ast.Call) and program_call(node):
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                value = arg.value if isinstance(arg, ast.Starred) else arg
                if isinstance(value, ast.Lambda):
                    return "passes a lambda to the program"
                if isinstance(value, ast.Name) and (
                    value.id in scan.test_callables or program_value(value)
                ):
                    return f"passes {value.id} to the program"
                if any(class_call(inner) for inner in ast.walk(value)):
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


# --- calls known ahead -----------------------------------------------------------------------

_OPAQUE = (ast.BoolOp, ast.IfExp, ast.Lambda, ast.NamedExpr, ast.Await, ast.Yield, ast.YieldFrom)
_OPAQUE += (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Starred)


@functools.lru_cache(maxsize=4096)
def call_plan(source: str, owned: frozenset[str], entry_point: str | None) -> tuple:
    """The program calls a test makes first, in order, when its text fixes them: `((name,
    args, kwargs), ...)` with literal arguments, from its leading straight-line asserts (at
    module level, or in the `check(candidate)` it calls, HumanEval's shape). The judge sends them
    in one batch and then serves the test's calls from the answers while they come in this order,
    so the program runs exactly the calls it would have run, in the same order; after the first
    call that raises, nothing more is run ahead. Empty when nothing can be known.

    >>> test = "assert f([1, 2]) == 3\\nassert f([]) == 0\\nx = g(1)"
    >>> call_plan(test, frozenset({"f", "g"}), None)
    (('f', ([1, 2],), ()), ('f', ([],), ()))
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ()
    functions = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
    plan: list = []
    for statement in tree.body:
        if isinstance(statement, (ast.FunctionDef, ast.Import, ast.ImportFrom)):
            continue
        if isinstance(statement, ast.Assign) and not _calls_anything(statement.value):
            continue
        checked = _checked_function(statement, functions, entry_point)
        if checked is not None:
            function, parameter = checked
            _plan_body(function.body, {parameter: entry_point}, owned, plan)
            break  # what the test does after its check is not worth running ahead
        if not _plan_statement(statement, {}, owned, plan):
            break
    return tuple(plan)


def _calls_anything(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Call) for n in ast.walk(node))


def _checked_function(
    statement: ast.stmt, functions: dict[str, ast.FunctionDef], entry_point: str | None
) -> tuple[ast.FunctionDef, str] | None:
    """`check(entry_point)` at module level: the function and its parameter's name."""
    if entry_point is None or not isinstance(statement, ast.Expr):
        return None
    call = statement.value
    if not (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Name)
        and call.func.id in functions
        and len(call.args) == 1
        and not call.keywords
        and isinstance(call.args[0], ast.Name)
        and call.args[0].id == entry_point
    ):
        return None
    function = functions[call.func.id]
    parameters = function.args.args
    if len(parameters) != 1 or function.args.vararg or function.args.kwonlyargs:
        return None
    return function, parameters[0].arg


def _plan_body(body: list, aliases: dict, owned: frozenset[str], plan: list) -> None:
    for statement in body:
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue  # a docstring
        if not _plan_statement(statement, aliases, owned, plan):
            return


def _plan_statement(statement: ast.stmt, aliases: dict, owned: frozenset[str], plan: list) -> bool:
    """Adds an assert's program calls; False (stop planning) for anything else."""
    if not isinstance(statement, ast.Assert):
        return False
    calls: list = []
    if not _ordered_calls(statement.test, aliases, owned, calls):
        return False
    plan.extend(calls)
    return True


def _ordered_calls(node: ast.AST, aliases: dict, owned: frozenset[str], calls: list) -> bool:
    """The program calls of an expression in evaluation order; False if it has one that cannot
    be known ahead (a non-literal argument, a program function passed around, a call of the
    test's own functions, short-circuiting)."""
    if isinstance(node, _OPAQUE):
        return False
    if isinstance(node, ast.Name):
        return node.id not in aliases and node.id not in owned  # a program name not called
    if isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        target = aliases.get(name, name if name in owned else None)
        if target is not None:
            try:
                args = tuple(ast.literal_eval(a) for a in node.args)
                kwargs = tuple((k.arg, ast.literal_eval(k.value)) for k in node.keywords if k.arg)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                return False
            if len(kwargs) != len(node.keywords):
                return False
            calls.append((target, args, kwargs))
            return True
        if name is not None and name not in BUILTIN_NAMES:
            return False  # the test's own function: it may call the program itself
    return all(_ordered_calls(child, aliases, owned, calls) for child in ast.iter_child_nodes(node))
