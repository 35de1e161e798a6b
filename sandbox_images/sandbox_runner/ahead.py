"""Calls known ahead: the program calls a test will make, read from its text, so the judge can
ask for all their answers in one request (`calls.Bridge.ask_ahead`) and the program works through
a job's calls while the judge judges. Only constant arguments are planned, within bounds on
what computing them may cost (`constant`).

>>> constant(ast.parse("[1, 0**0] * 2", mode="eval").body)
[1, 1, 1, 1]
"""

from __future__ import annotations

import ast
import operator

from sandbox_runner.plan import BUILTIN_NAMES, by_source, parsed

_OPAQUE = (ast.BoolOp, ast.IfExp, ast.Lambda, ast.NamedExpr, ast.Await, ast.Yield, ast.YieldFrom)
_OPAQUE += (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Starred)


@by_source(maxsize=4096)
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
