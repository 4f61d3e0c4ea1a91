"""A safe parser for the command line's expressions, such as `2*x**2 + 3*x*y + y**3`.

Python's own `ast` reads the text; a whitelist then accepts only numbers, variable names,
`+ - * / **`, unary `-` and `+`, parentheses and one-argument calls of the engine's
one-input functions (exp, log, tanh, sigmoid, relu, ...: every op registered in
`engine.OPS` that a method of Value makes). Nothing is ever passed to `eval`: the accepted
tree is walked and each node becomes a Value op, so the result is a computational graph ready
for `backward()`. Common slips get a hint: `x^2` (write `x**2`), `2x` (write `2*x`), `tahn(x)`
(did you mean tanh?), `X` with only `x` given (did you mean x?).

An expression may name its parts, as the seeds write a = i * w, then C = (a - y)^2: parts
`NAME = EXPR` separated by `;`, each using the variables and the parts named before it, the last
one the output (`a = i*w; C = (a - y)**2`). Each name labels its node, so the drawings and the
steps say `a` and `C` instead of `mul3` and `f`. Python's parser reads the parts as assignment
statements; only that one kind of statement is accepted, and it is built, never executed.

Names are read as Python reads them: compatibility forms of letters are folded to the plain
letter (NFKC), so a full-width `ｘ` in the expression is the variable `x`, and `ｘ=1` gives it a
value just as `x=1` does.
"""

from __future__ import annotations

import ast
import difflib
import keyword
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from micrograd_like.engine import OPS, Value

MAX_LENGTH = 1000  # characters
MAX_DEPTH = 100  # levels of the syntax tree (x + x + ... nests one level per term)
MAX_NODES = 300  # numbers, names and operations
MAX_EXPONENT = 100  # |n| for a constant exponent x ** n

# The engine's one-input ops that are methods of Value, from its one registry of ops.
FUNCTIONS: dict[str, Callable[[Value], Value]] = {
    op.name: getattr(Value, op.name)
    for op in OPS.values()
    if op.name.isidentifier()
    and op.method is not None
    and op.method is getattr(Value, op.name, None)
    and len(op.local or ()) == 1
}

OPERATORS: dict[type[ast.operator], Callable[[Value, Value | float], Value]] = {
    ast.Add: Value.__add__,
    ast.Sub: Value.__sub__,
    ast.Mult: Value.__mul__,
    ast.Div: Value.__truediv__,
    ast.Pow: Value.__pow__,
}

# What a refused node is, in words, for the error message.
REFUSED: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts",
    ast.Lambda: "lambdas",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.Compare: "comparisons",
    ast.BoolOp: "and/or",
    ast.IfExp: "if/else",
    ast.NamedExpr: "assignments",
    ast.JoinedStr: "strings",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Dict: "dicts",
    ast.Set: "sets",
    ast.Starred: "starred arguments",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}


class ExpressionError(ValueError):
    """An expression or a `name=value` assignment that is refused, with where and why."""


def _where(text: str, node: ast.AST) -> str:
    """`column C: snippet` for a node of the one-line expression `text`."""
    column = _column(text, node)
    snippet = ast.get_source_segment(text, node) or text[column - 1 :]
    if len(snippet) > 40:
        snippet = snippet[:37] + "..."
    return f"column {column}: {snippet!r}"


@dataclass(frozen=True)
class Evaluation:
    """An expression's graph: the output, the variables' leaves and the named parts' nodes."""

    out: Value
    leaves: dict[str, Value]  # the variables, in order of first use
    parts: dict[str, Value]  # the named parts, the output too if it is named, in order


@dataclass(frozen=True)
class Expression:
    """A checked expression: its text, its syntax tree and the variable names it uses; for an
    expression in parts (`a = i*w; C = (a - y)**2`), `tree` is the last part, `definitions`
    the named parts before it and `output` its name ("" if it has none)."""

    text: str
    tree: ast.expr
    names: tuple[str, ...]  # the variables, in order of first use
    definitions: tuple[tuple[str, ast.expr], ...] = ()
    output: str = ""

    def evaluate(self, values: Mapping[str, float]) -> tuple[Value, dict[str, Value]]:
        """The expression's graph at the given values: (output, {name: input leaf}).

        Every variable must have a value and every value must be used. Domain errors (log of a
        negative number) come from the engine, with the op and the values in the message.
        """
        built = self.build(values)
        return built.out, built.leaves

    def build(self, values: Mapping[str, float]) -> Evaluation:
        """`evaluate`, with the nodes of the named parts, each labelled with its name."""
        self._check_values(values)
        leaves = {name: Value(values[name], label=name) for name in self.names}
        scope: dict[str, Value] = dict(leaves)
        parts: dict[str, Value] = {}
        for name, tree in self.definitions:
            scope[name] = parts[name] = self._named(name, tree, scope)
        if self.output:
            out = parts[self.output] = self._named(self.output, self.tree, scope)
        else:
            built = self._build(self.tree, scope)
            out = built if isinstance(built, Value) else Value(built)  # a plain number
        return Evaluation(out, leaves, parts)

    def _check_values(self, values: Mapping[str, float]) -> None:
        """Every variable has a value, every value is used and no part's name is given one;
        a name without a value that is a slip of case or spelling gets a did-you-mean."""
        defined = [name for name, _ in self.definitions] + [self.output] * bool(self.output)
        both = [name for name in defined if name in values]
        if both:
            raise ExpressionError(
                f"{both[0]} is both named in the expression ({both[0]} = ...) and given a value "
                f"({both[0]}={values[both[0]]:g}): rename one of them"
            )
        missing = [name for name in self.names if name not in values]
        if missing:
            known = [*values, *defined]
            close = {name: found for name in missing if (found := _close_name(name, known))}
            if len(missing) == 1 and close:
                name, found = missing[0], close[missing[0]]
                why = (
                    f"names are case-sensitive: {name} and {found} are two names"
                    if name.casefold() == found.casefold()
                    else f"or give {name} a value, {name}=1"
                )
                raise ExpressionError(f"no value for {name}: did you mean {found}? ({why})")
            hint = "".join(f" (did you mean {found} for {name}?)" for name, found in close.items())
            raise ExpressionError(
                f"no value for {', '.join(missing)}: give it as NAME=NUMBER, e.g. "
                f"{missing[0]}=1{hint}"
            )
        unused = [name for name in values if name not in self.names]
        if unused:
            verb = "is" if len(unused) == 1 else "are"
            raise ExpressionError(f"{', '.join(unused)} {verb} given but not used in {self.text!r}")

    def _named(self, name: str, tree: ast.expr, scope: Mapping[str, Value]) -> Value:
        """The node of the part `name = tree`, labelled `name`. A part must make a node of its
        own: a bare number or a name already in the graph would put a second name on one node
        (or turn a number into a variable), so it is refused with what to write instead."""
        node = self._build(tree, scope)
        written = ast.get_source_segment(self.text, tree) or "..."
        if not isinstance(node, Value):
            raise ExpressionError(
                f"{name} = {written} is a number, not a computation: give a number as a value "
                f"after the expression, {name}={''.join(written.split())}"
            )
        if not node.op or node.label:
            raise ExpressionError(
                f"{name} = {written} only gives {node.label} a second name; a named "
                f"part must compute something, e.g. {name} = 2*{written}"
            )
        node.label = name
        return node

    def _build(self, node: ast.expr, leaves: Mapping[str, Value]) -> Value | float:
        """The node of `node`, `leaves` the nodes its names stand for (the variables and the
        parts named before it). Numbers stay numbers (so `x ** 2` has the constant exponent 2);
        the rest are Values."""
        if isinstance(node, ast.Constant):
            assert isinstance(node.value, (int, float))  # parse_expression refused the rest
            return node.value  # an int stays an int: x ** 2 reads better than x ** 2.0
        if isinstance(node, ast.Name):
            return leaves[node.id]
        if isinstance(node, ast.UnaryOp):
            operand = self._build(node.operand, leaves)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)
            return FUNCTIONS[node.func.id](_lift(self._build(node.args[0], leaves)))
        assert isinstance(node, ast.BinOp)
        left = _lift(self._build(node.left, leaves))
        right = self._build(node.right, leaves)
        if not isinstance(node.op, ast.Pow):
            right = _lift(right)
        return OPERATORS[type(node.op)](left, right)


def _lift(operand: Value | float) -> Value:
    return operand if isinstance(operand, Value) else Value(operand)


def parse_expression(text: str) -> Expression:
    """Check `text` against the whitelist and the size limits; raise ExpressionError if refused.

    `text` is one expression, or parts `NAME = EXPR` separated by `;` with the output last
    (named or not): `a = i*w; C = (a - y)**2`. A part may use the parts named before it; a name
    given twice, used before its part, or never used is refused. The limits are on the whole."""
    text = text.strip()
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the expression is {len(text)} characters long; the limit is {MAX_LENGTH}"
        )
    if not text:
        raise ExpressionError("the expression is empty")
    if "\n" in text or "\r" in text:
        raise ExpressionError("the expression must be on one line")
    try:
        statements = ast.parse(text, mode="exec").body  # statements: the parts' `NAME = EXPR`
    except SyntaxError as error:
        column = error.offset or 1
        raise ExpressionError(
            f"{error.msg} (column {column}: {text[column - 1 : column + 19]!r}){_hint(text)}"
        ) from None
    except (ValueError, RecursionError, MemoryError):
        raise ExpressionError("the expression cannot be parsed (null bytes or too deep)") from None
    names: list[str] = []  # the variables: names that no part before names
    named: set[str] = set()  # the parts named so far
    used: set[str] = set()  # the parts a later part uses
    count = 0

    def check(node: ast.expr, depth: int) -> None:
        nonlocal count
        count += 1
        if count > MAX_NODES:
            raise ExpressionError(
                f"the expression has more than {MAX_NODES} numbers, names and operations "
                f"({_where(text, node)})"
            )
        if depth > MAX_DEPTH:
            raise ExpressionError(
                f"the expression is nested more than {MAX_DEPTH} levels deep ({_where(text, node)})"
            )
        if isinstance(node, ast.Constant):
            _check_number(text, node)
        elif isinstance(node, ast.Name):
            if keyword.iskeyword(node.id):  # ｉｆ: Python folds it to if (NFKC)
                raise ExpressionError(
                    f"{_where(text, node)} reads as {node.id!r}, a Python keyword, not a name "
                    "(Python folds full-width and other compatibility letters to plain ones)"
                )
            if node.id in FUNCTIONS:
                raise ExpressionError(
                    f"{node.id} is a function: call it, {node.id}(...) ({_where(text, node)})"
                )
            if node.id in named:
                used.add(node.id)
            elif node.id not in names:
                names.append(node.id)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            check(node.operand, depth + 1)
        elif isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
            if isinstance(node.op, ast.Pow):
                _check_exponent(text, node.right)
            check(node.left, depth + 1)
            check(node.right, depth + 1)
        elif isinstance(node, ast.Call):
            _check_call(text, node)
            check(node.args[0], depth + 1)
        else:
            what = REFUSED.get(type(node), type(node).__name__)
            hint = ""
            if isinstance(node, (ast.UnaryOp, ast.BinOp)):
                what = f"the operator {_operator_text(node)}"
                if isinstance(node.op, ast.BitXor):
                    hint = "; for a power write ** (x**2), ^ is not a power in Python"
            raise ExpressionError(f"not allowed: {what} ({_where(text, node)}){hint}")

    if not statements:  # a comment alone
        raise ExpressionError("the expression is empty")
    definitions: list[tuple[str, ast.expr]] = []
    statement_of: dict[str, ast.stmt] = {}
    output = ""
    for number, statement in enumerate(statements, 1):
        last = number == len(statements)
        name, tree = _part(text, statement, last)
        check(tree, 1)
        if name is None:
            break
        _check_part_name(text, statement, name, names, named)
        named.add(name)
        statement_of[name] = statement
        if last:
            output = name
        else:
            definitions.append((name, tree))
    unused = [name for name, _ in definitions if name not in used]
    if unused:  # it would not be in the output's graph: no gradient, nothing in the drawing
        name = unused[0]
        slips = [each for each in names if _close_name(each, [name])]
        hint = f"; did you mean {name} where it says {slips[0]}?" if slips else ""
        raise ExpressionError(
            f"{name} is named but no later part uses it ({_where(text, statement_of[name])}); "
            f"the last part is the output, and every other part must lead to it{hint}"
        )
    return Expression(text, tree, tuple(names), tuple(definitions), output)


def _close_name(name: str, known: Iterable[str]) -> str:
    """The known name `name` is most likely a slip for: one that differs only in case (`X` for
    `x`), else the closest in spelling (difflib's ratio of at least 0.6); "" for none."""
    others = [each for each in dict.fromkeys(known) if each != name]
    for each in others:
        if each.casefold() == name.casefold():
            return each
    close = difflib.get_close_matches(name, others, n=1, cutoff=0.6)
    return close[0] if close else ""


def _column(text: str, node: ast.AST) -> int:
    """The column of `node` in the one-line `text`, in characters: ast counts UTF-8 bytes."""
    return len(text.encode("utf-8")[: getattr(node, "col_offset", 0)].decode("utf-8")) + 1


# What a refused statement is, in words: the parts are `NAME = EXPR` and a last bare EXPR.
STATEMENTS: dict[type[ast.stmt], str] = {
    ast.AugAssign: "augmented assignments (+= and the like)",
    ast.AnnAssign: "annotations",
    ast.Import: "import",
    ast.ImportFrom: "import",
    ast.Delete: "del",
    ast.Pass: "pass",
    ast.Assert: "assert",
    ast.Global: "global",
    ast.Nonlocal: "nonlocal",
    ast.Raise: "raise",
    ast.Return: "return",
    ast.If: "if",
    ast.For: "for",
    ast.While: "while",
    ast.With: "with",
    ast.Try: "try",
    ast.FunctionDef: "def",
    ast.ClassDef: "class",
}


def _part(text: str, statement: ast.stmt, last: bool) -> tuple[str | None, ast.expr]:
    """A part's name (None for a bare expression) and its expression; any statement but
    `NAME = EXPR` and, last, a bare expression is refused."""
    if isinstance(statement, ast.Expr):
        if not last:
            raise ExpressionError(
                f"only the last part may be a bare expression; name the others, NAME = EXPR "
                f"({_where(text, statement)})"
            )
        return None, statement.value
    if isinstance(statement, ast.Assign):
        (target, *more) = statement.targets
        if more:
            raise ExpressionError(
                f"not allowed: one part, several names ({_where(text, statement)}); write "
                "NAME = EXPR"
            )
        if not isinstance(target, ast.Name):
            what = REFUSED.get(type(target), type(target).__name__)
            raise ExpressionError(
                f"not allowed: {what} before = ({_where(text, target)}); a part is NAME = EXPR"
            )
        return target.id, statement.value
    what = STATEMENTS.get(type(statement), "statements")
    raise ExpressionError(f"not allowed: {what} ({_where(text, statement)}); a part is NAME = EXPR")


def _check_part_name(
    text: str,
    statement: ast.stmt,
    name: str,
    variables: list[str],
    named: set[str],
) -> None:
    """A part's name is a plain name of its own: no keyword (ｉｆ reads as if), no function's,
    none used before the part that names it, none given twice."""
    where = _where(text, statement)
    if keyword.iskeyword(name):
        raise ExpressionError(
            f"{where} names a part {name!r}, a Python keyword (Python folds full-width and "
            "other compatibility letters to plain ones)"
        )
    if name in FUNCTIONS:
        raise ExpressionError(f"{name} is a function and cannot name a part ({where})")
    if name in named:
        raise ExpressionError(f"{name} is named twice ({where}); give each part its own name")
    if name in variables:
        raise ExpressionError(
            f"{name} is used before the part that names it ({where}): name a part before using it"
        )


def _operator_text(node: ast.UnaryOp | ast.BinOp) -> str:
    """The operator symbol of a refused operation, such as `//`, `%` or `~`."""
    symbols = {
        ast.FloorDiv: "//",
        ast.Mod: "%",
        ast.MatMult: "@",
        ast.LShift: "<<",
        ast.RShift: ">>",
        ast.BitOr: "|",
        ast.BitXor: "^",
        ast.BitAnd: "&",
        ast.Invert: "~",
        ast.Not: "not",
    }
    return symbols.get(type(node.op), type(node.op).__name__)


def _check_number(text: str, node: ast.Constant) -> None:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        kind = "strings" if isinstance(value, (str, bytes)) else f"{type(value).__name__} values"
        raise ExpressionError(f"not allowed: {kind} ({_where(text, node)})")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ExpressionError(f"the number is too large for a float ({_where(text, node)})")


def _check_exponent(text: str, exponent: ast.expr) -> None:
    """A constant exponent is at most MAX_EXPONENT in size; an exponent with a power in it
    (a power tower such as 9**9**9) is refused."""
    if any(
        isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) for node in ast.walk(exponent)
    ):
        raise ExpressionError(
            f"not allowed: a power tower, a power in an exponent ({_where(text, exponent)})"
        )
    bare = exponent
    while isinstance(bare, ast.UnaryOp):
        bare = bare.operand
    if (
        isinstance(bare, ast.Constant)
        and isinstance(bare.value, (int, float))
        and abs(bare.value) > MAX_EXPONENT
    ):
        raise ExpressionError(
            f"a constant exponent must be between -{MAX_EXPONENT} and {MAX_EXPONENT} "
            f"({_where(text, exponent)})"
        )


_NUMBER_THEN_NAME = re.compile(r"(?<![\w.])(\d+(?:\.\d*)?)([A-Za-z_]\w*)")


def _hint(text: str) -> str:
    """A hint for a syntax error a learner often makes: `2x` for `2*x`."""
    match = _NUMBER_THEN_NAME.search(text)
    if match and not re.fullmatch(r"[eE][+-]?\d*|j|J", match.group(2)):
        number, name = match.groups()
        return f"; for a product write {number}*{name}, not {number}{name}"
    return ""


def _check_call(text: str, node: ast.Call) -> None:
    if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
        hint = ""
        if isinstance(node.func, ast.Name):
            close = difflib.get_close_matches(node.func.id, FUNCTIONS, n=1, cutoff=0.6)
            if close:
                hint = f"; did you mean {close[0]}?"
        raise ExpressionError(
            f"only {', '.join(FUNCTIONS)} can be called ({_where(text, node)}){hint}"
        )
    if len(node.args) != 1 or node.keywords:
        raise ExpressionError(f"{node.func.id} takes exactly one argument ({_where(text, node)})")


def as_python_reads(name: str) -> str:
    """A name as Python's parser reads it, and so as it appears in a parsed expression:
    compatibility forms of letters folded to the plain ones (NFKC): `ｘ` is `x`, `ℌ` is `H`."""
    return unicodedata.normalize("NFKC", name)


def parse_assignment(text: str) -> tuple[str, float]:
    """`x=1.5` as ("x", 1.5): a plain name, not a function's, and a finite number. The name is
    the one Python reads (`as_python_reads`): `ｘ=1.5` is ("x", 1.5), as `ｘ` in an expression
    is `x`."""
    written, equals, number = text.partition("=")
    written = written.strip()
    name = as_python_reads(written)
    valid = written.isidentifier() and name.isidentifier()
    if not equals or not valid or keyword.iskeyword(name):
        raise ExpressionError(f"{text!r} is not NAME=NUMBER, e.g. x=1.5")
    if name in FUNCTIONS:
        raise ExpressionError(f"{text!r}: {name} is a function and cannot be a variable")
    try:
        value = float(number)
    except ValueError:
        hint = ""
        if re.search(r"[^\W\d]", number) and re.search(r"[-+*/()]", number):  # a = i*w, say
            hint = (
                f"; to name a part of the expression, put it inside the expression, before the "
                f'output: "{written} = {number.strip()}; ..."'
            )
        raise ExpressionError(f"{text!r}: {number.strip()!r} is not a number{hint}") from None
    if not math.isfinite(value):
        raise ExpressionError(f"{text!r}: the value must be a finite number")
    return name, value


def parse_assignments(items: Iterable[str]) -> dict[str, float]:
    """Several `name=value` assignments, in order; a name given twice is refused."""
    values: dict[str, float] = {}
    for item in items:
        name, value = parse_assignment(item)
        if name in values:
            written = item.partition("=")[0].strip()
            if written != name:
                raise ExpressionError(
                    f"{name} is given twice: {written!r} is read as {name!r}, as Python reads "
                    "names (full-width and other compatibility letters are the plain ones)"
                )
            raise ExpressionError(f"{name} is given twice")
        values[name] = value
    return values
