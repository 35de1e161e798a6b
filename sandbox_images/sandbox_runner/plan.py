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
import operator
import sys

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


@functools.lru_cache(maxsize=16)  # the judge reads one test three ways in a row: parse it once
def parsed(source: str) -> ast.Module:
    """The test's syntax tree (SyntaxError and the like propagate). Small cache: trees are
    large, and what is derived from them has caches of its own."""
    return ast.parse(source)


@functools.lru_cache(maxsize=4096)  # a GRPO group's completions share their tests
def free_names(source: str) -> frozenset[str]:
    """Names the test reads that it does not bind itself (builtins included)."""
    scan = _Scan(parsed(source))
    return frozenset(scan.loaded - scan.bound)


@functools.lru_cache(maxsize=4096)
def needs_program_objects(source: str) -> str | None:
    """Why this test must be judged inside the program's interpreter, or None."""
    try:
        tree = parsed(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # the judge reports it as a test that does not compile
    scan = _Scan(tree)
    free = scan.loaded - scan.bound
    every = nodes(tree)

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
        for node in every
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

    for node in every:
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
def known_calls(source: str, owned: frozenset[str], entry_point: str | None) -> tuple[tuple, bool]:
    """(calls, complete): the program calls a test makes first, in order, when its text fixes
    them, as `((name, args, kwargs), ...)` with constant arguments, from its leading
    straight-line asserts (at module level, or in the `check(candidate)` it calls, HumanEval's
    shape); and whether they are every call the test can make to the program.

    The judge asks the program for these answers before the test asks (`judge.Bridge`): in one
    request, each answer coming back as soon as it is computed, and serves the test's calls
    from them while they come in this order. So the program runs the calls it would have run,
    in the same order; after the first call that does not return plain data (it raised, or
    returned an iterator), nothing more runs ahead. When a test's plan is complete, the next
    test's calls may follow it in the same request: the program then runs a whole job's calls
    without waiting for the judge between tests.

    >>> test = "assert f([1, 2]) == 3\\nassert f([]) == 0\\nx = g(1)"
    >>> known_calls(test, frozenset({"f", "g"}), None)
    ((('f', ([1, 2],), ()), ('f', ([],), ())), False)
    >>> known_calls("assert f(1) == 2\\nassert f(2) == 4", frozenset({"f"}), None)[1]
    True
    >>> known_calls("for x in [1, 2]:\\n    assert f(x) > 0", frozenset({"f"}), None)
    ((), False)
    """
    try:
        tree = parsed(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return (), False
    functions = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
    plan: list = []
    complete = True
    for position, statement in enumerate(tree.body):
        if _inert(statement, owned):
            continue
        checked = _checked_function(statement, functions, entry_point)
        if checked is not None:
            function, parameter = checked
            complete = _plan_body(function.body, {parameter: entry_point}, owned, plan)
            # what the test does after its check is not worth running ahead
            rest = tree.body[position + 1 :]
            complete = complete and all(_inert(after, owned) for after in rest)
            break
        if not _plan_statement(statement, {}, owned, plan):
            complete = False
            break
    return tuple(plan), complete


def _inert(statement: ast.stmt, owned: frozenset[str]) -> bool:
    """A statement that runs no code of the program's: an import, a plain assignment, or a
    function definition with no decorator whose defaults and annotations call nothing."""
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return True
    if isinstance(statement, ast.Assign):
        return not _calls_anything(statement.value)
    if isinstance(statement, ast.FunctionDef):
        if statement.decorator_list:  # each decorator is a call
            return False
        header = [*statement.args.defaults, statement.returns]
        header += [d for d in statement.args.kw_defaults if d is not None]
        header += [a.annotation for a in _arguments(statement.args)]
        return not any(
            _calls_anything(node) or _names(node) & owned for node in header if node is not None
        )
    return False


def _arguments(arguments: ast.arguments) -> list[ast.arg]:
    every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
    return every + [a for a in (arguments.vararg, arguments.kwarg) if a is not None]


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


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


_OPERATORS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_SIGNS = {ast.USub: operator.neg, ast.UAdd: operator.pos}
MAX_REPEAT = 100_000  # `[0] * n`, `"ab" * n`: elements a planned argument may repeat to
MAX_EXPONENT = 256
MAX_BITS = 1 << 20


def constant(node: ast.AST) -> object:
    """The value of a constant expression (`11 * 9 * 9`, `[1, 0**0]`, `-2.5`, `"ab" * 3`), as
    Python computes it; ValueError for anything that is not one, or too large to plan."""
    kind = type(node)
    if kind is ast.Constant:
        return node.value  # type: ignore[attr-defined]
    if kind in (ast.List, ast.Tuple, ast.Set):
        items = [constant(item) for item in node.elts]  # type: ignore[attr-defined]
        return {ast.List: list, ast.Tuple: tuple, ast.Set: set}[kind](items)
    if kind is ast.Dict and None not in node.keys:  # type: ignore[attr-defined]
        keys = [constant(k) for k in node.keys]  # type: ignore[attr-defined]
        return dict(zip(keys, map(constant, node.values), strict=True))  # type: ignore[attr-defined]
    if kind is ast.UnaryOp and type(node.op) in _SIGNS:  # type: ignore[attr-defined]
        return _SIGNS[type(node.op)](_number(constant(node.operand)))  # type: ignore[attr-defined]
    if kind is ast.BinOp and type(node.op) in _OPERATORS:  # type: ignore[attr-defined]
        left, right = constant(node.left), constant(node.right)  # type: ignore[attr-defined]
        _bounded(type(node.op), left, right)  # type: ignore[attr-defined]
        return _OPERATORS[type(node.op)](left, right)  # type: ignore[attr-defined]
    raise ValueError("not a constant expression")


def _number(value: object) -> object:
    if type(value) not in (int, float, complex):
        raise ValueError("not a number")
    return value


def _bounded(op: type, left: object, right: object) -> None:
    """Refuses what could take long or much memory to compute (it is only a plan)."""
    if op is ast.Pow:
        if type(right) is not int or not 0 <= right <= MAX_EXPONENT:
            raise ValueError("an exponent too large to plan")
        if type(left) is int and left.bit_length() * right > MAX_BITS:
            raise ValueError("a power too large to plan")
    if op is not ast.Mult:
        return
    for count, other in ((left, right), (right, left)):
        if type(count) is not int:
            continue
        if type(other) in (str, bytes, list, tuple) and count * len(other) > MAX_REPEAT:  # type: ignore[arg-type]
            raise ValueError("a repetition too large to plan")
        if type(other) is int and count.bit_length() + other.bit_length() > MAX_BITS:
            raise ValueError("a product too large to plan")


def _plan_body(body: list, aliases: dict, owned: frozenset[str], plan: list) -> bool:
    """Adds the calls of a check's leading asserts; True if it planned the whole body."""
    for statement in body:
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue  # a docstring
        if not _plan_statement(statement, aliases, owned, plan):
            return False
    return True


def _plan_statement(statement: ast.stmt, aliases: dict, owned: frozenset[str], plan: list) -> bool:
    """Adds an assert's program calls; False (stop planning) for anything else. An assert's
    message is left out: it runs only when the assert failed, and then its calls go after
    the ones asked ahead (`judge.Bridge`)."""
    if isinstance(statement, ast.Pass) or (
        isinstance(statement, ast.Expr) and not _calls_anything(statement.value)
    ):
        return True  # `pass`, a docstring, HumanEval 129's bare `print`
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
    if isinstance(node, ast.Compare) and any(map(_calls_anything, node.comparators[1:])):
        return False  # `a < f(1) < f(2)` may stop before its last call
    if isinstance(node, ast.Name):
        return node.id not in aliases and node.id not in owned  # a program name not called
    if isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        target = aliases.get(name, name if name in owned else None)
        if target is not None:
            try:
                args = tuple(constant(a) for a in node.args)
                kwargs = tuple((k.arg, constant(k.value)) for k in node.keywords if k.arg)
            except (ValueError, TypeError, ArithmeticError, MemoryError, RecursionError):
                return False
            if len(kwargs) != len(node.keywords):
                return False
            calls.append((target, args, kwargs))
            return True
        if name is not None and name not in BUILTIN_NAMES:
            return False  # the test's own function: it may call the program itself
    return all(_ordered_calls(child, aliases, owned, calls) for child in ast.iter_child_nodes(node))
