r"""The chain rule typeset: the backward steps, `explain()` and the network view's δ formulas in
LaTeX, for KaTeX on the page and in the widget, for MathJax in a notebook's Markdown, or for a
paper.

    >>> print(to_latex(explain(C, W)))   # the seeds' neuron, README: "Watch backpropagation"
    \begin{aligned}
    \frac{dC}{dW}\colon &\text{1 path from }C\text{ to }W \\
    \text{path 1: }\frac{dC}{dW} &= \frac{\partial C}{\partial \mathrm{sub7}} \cdot \frac{...
    &= 2\,\mathrm{sub7}^{2 - 1} \cdot 1 \cdot \sigma(O)\,(1 - \sigma(O)) \cdot 1 \cdot ...
    &= 0.5717 \times 1.0 \times 0.1683 \times 1.0 \times 1.5 \\
    &= 0.1443 \\
    \frac{dC}{dW} &= 0.1443 \quad \text{(the one path)}
    \end{aligned}

The LaTeX is the text, typeset: each line of `BackwardStep.text()` and `Explanation.text()` has
one line of LaTeX (`latex_lines`), with the same names, the same numbers (`format_number`'s)
and the same words, in the project's notation: d for the gradient of the root (dC/dW becomes
`\frac{dC}{dW}`), ∂ only for an op's local derivative (`\frac{\partial \mathrm{mul4}}
{\partial W}`). Between symbolic factors stands `\cdot`, between numbers `\times`.

- **Formulas** come from the registry of ops (`engine.OPS`), which writes them for sympy
  (`sigmoid(a) * (1 - sigmoid(a))`). `formula_latex` reads such a string with Python's own
  parser (`ast`; nothing is evaluated) and writes LaTeX for the few kinds of node a formula
  has: numbers, names, + - * / ** and calls (`\sigma(O)\,(1 - \sigma(O))`); anything else is
  refused by name. In `explain()`'s formulas a, b and out are the graph's names or, with
  `constants=False`, numbers (`Factor.symbols`). A formula of your own op (`Value.from_op`)
  that is not of that kind is written as text, as `explain()` prints it.
- **Names** are text a user gave: `W` is a math italic W, every longer name upright
  (`\mathrm{a\_prev}`, `\mathrm{L2.N1.w1}`), and every character with a meaning to LaTeX
  (`\ { } $ % & # ^ _ ~`) is escaped, so that no label can end a group, start a command or
  end the math of a Markdown cell: a label is always just its characters.
- **The network view** writes its lines as text (`network.py`); `network_line_latex` turns
  one such line into LaTeX, knowing its vocabulary (δ_i, W_{i+1}^T, ⊙, σ'(z), Σ_j, dC/da_i):
  `δ_1 = (W_2^T δ_2) ⊙ σ'(z_1)` becomes `\delta_{1} = (W_{2}^{T} \delta_{2}) \odot
  \sigma'(z_{1})`. Its words go into `\text{}`; anything it does not know is escaped as a
  name, so a line of another shape still comes out valid LaTeX, if less pretty.
- **Markdown**: `to_latex(record, markdown=True)` writes the same as Markdown for a notebook
  cell or a README (GitHub, JupyterLab and VS Code render the math): inline `$...$` for the
  lines of prose, display `$$...$$` around the aligned rows.

KaTeX ships inside the package (`page/katex/`, the npm package's files, with its licence and a
README saying which version, from where): `katex_style()` and `katex_script()` are the text a
self-contained page or a notebook widget inlines, nothing fetched. The page marks a formula up
as its plain text with the LaTeX beside it, `<span data-tex="...">dC/dW = 0.1443</span>`, and
calls `micrograd_like_katex.typeset(element)` after drawing; where the script never runs, or
KaTeX refuses a formula, the plain text stays (`page/katex/typeset.js`).
"""

from __future__ import annotations

import ast
import base64
import functools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from micrograd_like.floats import format_number
from micrograd_like.steps import BackwardStep, ChainPath, Explanation, Factor, Symbol, bracketed
from micrograd_like.view import printable

if TYPE_CHECKING:
    from importlib.abc import Traversable

__all__ = [
    "KATEX_FONTS",
    "KATEX_VERSION",
    "MAX_FORMULA",
    "formula_latex",
    "katex_fonts",
    "katex_script",
    "katex_style",
    "latex_lines",
    "name_latex",
    "network_line_latex",
    "number_latex",
    "to_latex",
]

# ---- names, numbers and words

# In math mode (inside \mathrm{}), the characters LaTeX reads as commands, groups, comments,
# alignment, sub/superscripts or the end of the math, each written as the character it is.
_MATH_ESCAPES = {
    "\\": r"{\backslash}",
    "{": r"\{",
    "}": r"\}",
    "_": r"\_",
    "$": r"\$",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "^": r"{\hat{}}",
    "~": r"{\sim}",
    " ": r"\ ",
}
# The same in text mode (inside \text{}), where a space is a space.
_TEXT_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "_": r"\_",
    "$": r"\$",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}
_GREEK: dict[str, str] = dict(
    zip(
        "αβγδεζηθικλμνξπρστυφχψωΓΔΘΛΞΠΣΥΦΨΩ",
        re.findall(
            r"\\\w+",
            r"""\alpha \beta \gamma \delta \epsilon \zeta \eta \theta \iota \kappa \lambda \mu
            \nu \xi \pi \rho \sigma \tau \upsilon \phi \chi \psi \omega \Gamma \Delta \Theta
            \Lambda \Xi \Pi \Sigma \Upsilon \Phi \Psi \Omega""",
        ),
        strict=True,
    )
)


def _escaped(text: str, escapes: Mapping[str, str]) -> str:
    return "".join(escapes.get(char, char) for char in printable(text))


def _text(words: str) -> str:
    r"""Words in math: `\text{...}`, every character as itself."""
    return rf"\text{{{_escaped(words, _TEXT_ESCAPES)}}}"


def name_latex(name: str) -> str:
    r"""A node's name in math: a one-letter name as a maths letter (`W`, a Greek letter as its
    command: `\theta`), any other upright (`\mathrm{a\_prev}`, `\mathrm{L2.N1.w1}`), with every
    character LaTeX would read as markup escaped (`\{`, `\_`, `{\backslash}`, ...) and every
    character `view.printable` escapes (a control character) written as its escape, as the
    text writes it. The result is always one group: it cannot end or open anything around it."""
    if not isinstance(name, str):
        raise TypeError(f"name_latex: name must be a str, got {type(name).__name__}: {name!r}")
    if len(name) == 1 and name.isascii() and name.isalpha():
        return name
    if name in _GREEK:
        return _GREEK[name]
    return rf"\mathrm{{{_escaped(name, _MATH_ESCAPES)}}}"


_SCIENTIFIC = re.compile(r"(?P<mantissa>-?[\d.]+)e(?P<exponent>[-+]?\d+)")


def number_latex(x: float) -> str:
    r"""A number as the text writes it (`format_number`: 4 decimals, a tiny number to 4
    digits), in LaTeX: `0.1443`, `-0.5717`, `1.2 \cdot 10^{-7}`, `\infty`. An int is written
    whole (`2`, the exponent of `x ** 2`)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError(f"number_latex: x must be a number, got {type(x).__name__}: {x!r}")
    if isinstance(x, int):
        return str(x)
    if x != x:
        return _text("nan")
    if math.isinf(x):
        return r"\infty" if x > 0 else r"-\infty"
    text = format_number(x)
    found = _SCIENTIFIC.fullmatch(text)
    if found is None:
        return text
    return rf"{found['mantissa']} \cdot 10^{{{int(found['exponent'])}}}"


def _number_factor(x: float) -> str:
    r"""A number inside a product of numbers: in brackets when negative (as `format_factor`
    writes it) or written with a power of ten, so that `\times` joins whole numbers."""
    written = number_latex(x)
    return f"({written})" if written.startswith("-") or r"\cdot" in written else written


def _grad(root: str, of: str) -> str:
    r"""d root / d of, the root's gradient: `\frac{dC}{dW}`."""
    return rf"\frac{{d{name_latex(root)}}}{{d{name_latex(of)}}}"


def _local(node: str, of: str) -> str:
    r"""∂node/∂of, an op's local derivative: `\frac{\partial \mathrm{mul4}}{\partial W}`."""
    return rf"\frac{{\partial {name_latex(node)}}}{{\partial {name_latex(of)}}}"


# ---- formulas: the registry's sympy-readable strings, read by Python's parser

_SUM, _PRODUCT, _SIGNED, _POWER, _ATOM = range(5)  # how tightly a piece of LaTeX binds
MAX_FORMULA = 1_000
"""The longest formula `formula_latex` reads, in characters (the registry's are under 40)."""


@dataclass(frozen=True)
class _Tex:
    text: str
    binds: int  # one of _SUM ... _ATOM: what the piece is, for deciding on brackets
    signed: bool = False  # it starts with a minus sign: in brackets after an operator


# Functions LaTeX has a command for (\sin, \log, ...); any other is an \operatorname.
_OPERATORS = {"sin", "cos", "tan", "sinh", "cosh", "tanh", "log", "ln", "max", "min"}
_NAMED = {"sigmoid": r"\sigma", "σ": r"\sigma"}


def formula_latex(formula: str, symbols: Mapping[str, Symbol] | None = None) -> str:
    r"""A formula as the registry of ops writes it (sympy-readable Python: `n * a**(n - 1)`,
    `sigmoid(a) * (1 - sigmoid(a))`), in LaTeX: `n\,a^{n - 1}`, `\sigma(a)\,(1 - \sigma(a))`.

    `symbols` says what its names stand for: a str is a node's name (`{"a": "O"}` writes
    `\sigma(O)`), a number is written as a number (a constant, or the n of `x ** 2`); a name
    not in it is written as itself. The formula is parsed by `ast` and never evaluated. Numbers,
    names, `+ - * / **`, unary minus and calls of a named function (`exp` as `e^{...}`, `sqrt`,
    `abs`, `sigmoid` as σ, `tanh`, `log`, `max`, ... and any other name as an operator name)
    are written; anything else (a comparison, an attribute, a keyword argument) is a ValueError
    naming the formula, and so is a formula longer than `MAX_FORMULA` characters."""
    if not isinstance(formula, str):
        raise TypeError(
            f"formula_latex: formula must be a str, got {type(formula).__name__}: {formula!r}"
        )
    if symbols is not None and not isinstance(symbols, Mapping):
        raise TypeError(
            f"formula_latex: symbols must be a mapping of names to names or numbers, got "
            f"{type(symbols).__name__}: {symbols!r}"
        )
    return _formula(formula, symbols or {}).text


def _formula(formula: str, symbols: Mapping[str, Symbol]) -> _Tex:
    if len(formula) > MAX_FORMULA:
        raise ValueError(
            f"formula_latex: the formula has {len(formula):,} characters, more than "
            f"MAX_FORMULA={MAX_FORMULA:,}"
        )
    try:
        tree = ast.parse(formula.strip(), mode="eval")
        return _Writer(formula, symbols).write(tree.body)
    except SyntaxError as error:
        raise ValueError(f"formula_latex: {formula!r} is not a formula: {error.msg}") from None
    except (RecursionError, MemoryError):  # `-` a thousand times over: deeper than Python goes
        raise ValueError(f"formula_latex: {formula!r} is nested too deeply") from None


class _Writer:
    r"""LaTeX for one parsed formula, node by node, with brackets only where the maths needs
    them: around a sum inside a product or a power, around anything that starts with a minus
    after an operator (`a\,(-b)`, `a - (-b)`), around a power's base unless it is a name, a
    number or a call. A fraction needs none: its bar groups it."""

    def __init__(self, formula: str, symbols: Mapping[str, Symbol]) -> None:
        self.formula = formula
        self.symbols = symbols

    def refuse(self, node: ast.AST) -> ValueError:
        return ValueError(
            f"formula_latex: {self.formula!r} holds {ast.unparse(node)} ({type(node).__name__}), "
            "which is not maths it writes: numbers, names, + - * / **, unary minus and calls f(x)"
        )

    def write(self, node: ast.expr) -> _Tex:
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise self.refuse(node)
            return _number(value)
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = self.write(node.operand)
            sign = "-" if isinstance(node.op, ast.USub) else "+"
            return _Tex(
                f"{sign}{_bracketed(inner, inner.binds == _SUM or inner.signed)}", _SIGNED, True
            )
        if isinstance(node, ast.BinOp):
            return self.binary(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        raise self.refuse(node)

    def name(self, name: str) -> _Tex:
        stands = self.symbols.get(name, name)
        if isinstance(stands, str):
            return _Tex(name_latex(stands), _ATOM)
        return _number(stands)

    def binary(self, node: ast.BinOp) -> _Tex:
        op = node.op
        if isinstance(op, ast.Div):
            top = node.left
            if isinstance(top, ast.UnaryOp) and isinstance(top.op, ast.USub):  # -a / b
                fraction = (
                    rf"\frac{{{self.write(top.operand).text}}}{{{self.write(node.right).text}}}"
                )
                return _Tex(f"-{fraction}", _SIGNED, True)
            left, right = self.write(top), self.write(node.right)
            return _Tex(rf"\frac{{{left.text}}}{{{right.text}}}", _ATOM)
        left, right = self.write(node.left), self.write(node.right)
        if isinstance(op, ast.Add):
            return _Tex(f"{left.text} + {_bracketed(right, right.signed)}", _SUM, left.signed)
        if isinstance(op, ast.Sub):
            right_text = _bracketed(right, right.binds == _SUM or right.signed)
            return _Tex(f"{left.text} - {right_text}", _SUM, left.signed)
        if isinstance(op, ast.Mult):
            first = _bracketed(left, left.binds == _SUM)
            second = _bracketed(right, right.binds == _SUM or right.signed)
            joint = r" \cdot " if second[:1].isdigit() else r"\,"  # 2 \cdot 3, but 2\,a
            return _Tex(f"{first}{joint}{second}", _PRODUCT, left.signed)
        if isinstance(op, ast.Pow):
            tall = left.text.startswith(r"\frac")  # \frac{a}{b}^{2} would read as a / b^2
            base = _bracketed(left, left.binds < _ATOM or left.signed or tall)
            return _Tex(f"{base}^{{{right.text}}}", _POWER)
        raise self.refuse(node)

    def call(self, node: ast.Call) -> _Tex:
        if not isinstance(node.func, ast.Name) or node.keywords:
            raise self.refuse(node)
        if any(isinstance(each, ast.Starred) for each in node.args) or not node.args:
            raise self.refuse(node)
        function = node.func.id
        arguments = [self.write(each) for each in node.args]
        inside = ", ".join(each.text for each in arguments)
        if len(arguments) == 1:
            if function == "exp":
                return _Tex(f"e^{{{inside}}}", _POWER)
            if function == "sqrt":
                return _Tex(rf"\sqrt{{{inside}}}", _ATOM)
            if function == "abs":
                return _Tex(rf"\left|{inside}\right|", _ATOM)
        if function in _NAMED:
            head = _NAMED[function]
        elif function in _OPERATORS:
            head = f"\\{function}"
        elif len(function) == 1 and function.isascii():
            head = function  # f(x)
        else:
            head = rf"\operatorname{{{_escaped(function, _MATH_ESCAPES)}}}"
        return _Tex(f"{head}{_round(inside)}", _ATOM)


def _number(value: float) -> _Tex:
    written = number_latex(value)
    if r"\cdot" in written:  # 1.2 \cdot 10^{-7}: one number, kept whole in a product
        return _Tex(f"({written})", _ATOM)
    if written.startswith("-"):
        return _Tex(written, _SIGNED, True)
    return _Tex(written, _ATOM)


def _round(inside: str) -> str:
    """Round brackets, grown to a fraction's height where one is inside."""
    return rf"\left({inside}\right)" if r"\frac" in inside else f"({inside})"


def _bracketed(piece: _Tex, needed: bool) -> str:
    return _round(piece.text) if needed else piece.text


# ---- the records: backward steps and explanations


@dataclass(frozen=True)
class _Row:
    r"""One line: what it is about (`left`), then from its relation on (`right`: `= ...`,
    `\mathrel{+}= ...`), so that rows align on their relations."""

    left: str
    right: str

    def line(self) -> str:
        return f"{self.left} {self.right}".strip()


def _step_rows(step: BackwardStep) -> list[_Row]:
    """`step.text()`'s lines, typeset: one row for each."""
    root, node = step.root_name, step.name
    rows = []
    if step.is_root and step.node.op:
        said = rf"\quad {_text('(the root: the gradient of ')}{name_latex(root)}{_text(' itself)')}"
        rows.append(_Row(_grad(root, root), f"= 1 {said}"))
    elif not step.shares:
        what = "the root" if step.is_root else "a leaf"
        final = f"= {number_latex(step.upstream)}"
        if step.grad_before == 0:
            rows.append(_Row(_grad(root, node), rf"{final} \quad {_text(f'({what}: final)')}"))
        else:
            holds = number_latex(step.node.grad)
            held = number_latex(step.grad_before)
            said = (
                _text(f"({what}: final for this pass; ")
                + rf"{name_latex(node)}\mathrm{{.grad}}"
                + _text(" holds ")
                + holds
                + _text(", as it held ")
                + held
                + _text(" before: leaf grads add up)")
            )
            rows.append(_Row(_grad(root, node), rf"{final} \quad {said}"))
    relation = r"\mathrel{+}="
    for share in step.shares:
        factors = [
            (_local(node, share.name), share.local, share.identity),
            (_grad(root, node), step.upstream, step.is_root),  # d root / d root is 1
        ]
        if not step.identity:  # the factors that are 1 whatever the numbers, left out
            factors = [each for each in factors if not each[2]] or factors[1:]
        target = _grad(root, share.name)
        if len(factors) == 1:
            written, number, _ = factors[0]
            rows.append(_Row(target, f"{relation} {written} = {number_latex(number)}"))
            continue
        (local, _, _), (upstream, _, _) = factors
        rows.append(
            _Row(
                target,
                rf"{relation} {local} \cdot {upstream} = {_number_factor(share.local)} \times "
                rf"{_number_factor(step.upstream)} = {number_latex(share.contribution)}",
            )
        )
    return rows


def _factor_formula(factor: Factor) -> str:
    """One factor of a path's formula row: the registry's formula with the graph's names, in
    brackets where it is a sum or starts with a minus; a formula that is not maths `ast` can
    read (your own op's) as the text writes it; `?` for an op without formulas."""
    if factor.template is None:
        return "?"
    try:
        written = _formula(factor.template, dict(factor.symbols))
    except ValueError:
        return _text(bracketed(factor.formula))
    return _bracketed(written, written.binds == _SUM or written.signed)


def _path_rows(explanation: Explanation, number: int, path: ChainPath) -> list[_Row]:
    whole = _grad(explanation.root, explanation.leaf)
    label = rf"{_text(f'path {number}: ')}{whole}"
    every = path.factors
    if not every:  # the root itself
        itself = _text("(a node's gradient of itself)")
        return [_Row(label, rf"= 1 \quad {itself}")]
    factors = every if explanation.identity else [f for f in every if not f.identity]
    left_out = len(every) - len(factors)
    if not factors:
        many = f"all {left_out:,} local derivatives on it are"
        if left_out == 1:
            many = "its one local derivative is"
        said = _text(f"({many} 1)")
        return [_Row(label, rf"= {number_latex(path.product)} \quad {said}")]
    note = ""
    if left_out:
        plural = "s" if left_out > 1 else ""
        note = rf" \quad {_text(f'({left_out:,} factor{plural} of 1 left out)')}"
    return [
        _Row(label, "= " + r" \cdot ".join(_local(f.node, f.input) for f in factors)),
        _Row("", "= " + r" \cdot ".join(_factor_formula(f) for f in factors)),
        _Row("", "= " + r" \times ".join(_number_factor(f.local) for f in factors)),
        _Row("", f"= {number_latex(path.product)}{note}"),
    ]


def _explanation_rows(explanation: Explanation) -> tuple[_Row, list[_Row], _Row | None]:
    """`explanation.text()`'s lines, typeset: its first line, the rows of its paths and its
    last line (None when the root does not depend on the leaf: the first line says it all)."""
    root, leaf = explanation.root, explanation.leaf
    whole = _grad(root, leaf)
    if not explanation.paths:
        said = _text("(") + name_latex(root) + _text(" does not depend on ") + name_latex(leaf)
        said = rf"\quad {said}{_text(')')}"
        return _Row(whole, f"= 0 {said}"), [], None
    count = len(explanation.paths)
    heading = _Row(
        rf"{whole}\colon",
        _text(f"{count} path{'s' if count > 1 else ''} from ")
        + name_latex(root)
        + _text(" to ")
        + name_latex(leaf),
    )
    rows = []
    for number, path in enumerate(explanation.paths, 1):
        rows += _path_rows(explanation, number, path)
    total = _Row(whole, rf"= {number_latex(explanation.total)} \quad {_text(f'({_how(count)})')}")
    return heading, rows, total


def _how(count: int) -> str:
    return "the sum over the paths" if count > 1 else "the one path"


def _aligned(rows: Sequence[_Row]) -> str:
    body = " \\\\\n".join(
        f"{row.left} &{row.right}" if row.left else f"&{row.right}" for row in rows
    )
    return f"\\begin{{aligned}}\n{body}\n\\end{{aligned}}"


Record = BackwardStep | Explanation | Iterable[BackwardStep]


def _check_record(record: object, where: str) -> list[BackwardStep] | Explanation:
    """The record as a list of steps, or the explanation; a TypeError naming the argument for
    anything else."""
    wanted = (
        f"{where}: record must be a BackwardStep, several of them (backward_steps(root)) or an "
        "Explanation (explain(root, leaf))"
    )
    if isinstance(record, Explanation):
        return record
    if isinstance(record, BackwardStep):
        return [record]
    if isinstance(record, (str, bytes, Mapping)) or not isinstance(record, Iterable):
        raise TypeError(f"{wanted}, got {type(record).__name__}: {record!r}")
    steps = list(record)
    for each in steps:
        if not isinstance(each, BackwardStep):
            raise TypeError(f"{wanted}, got an iterable holding {type(each).__name__}: {each!r}")
    if not steps:
        raise ValueError(f"{where}: record holds no step")
    return steps


def latex_lines(record: Record) -> list[str]:
    r"""The LaTeX of each line of the record's text, one for one: for a `BackwardStep`, the
    lines of `step.text()`; for several (`backward_steps(root)`, which this runs), theirs one
    after another; for an `Explanation`, the lines of `explanation.text()`. A page shows
    `text.split("\n")[i]` and typesets `latex_lines(record)[i]` over it."""
    checked = _check_record(record, "latex_lines")
    if isinstance(checked, Explanation):
        heading, rows, total = _explanation_rows(checked)
        return [row.line() for row in [heading, *rows, *([total] if total else [])]]
    return [row.line() for step in checked for row in _step_rows(step)]


def to_latex(record: Record, *, markdown: bool = False) -> str:
    r"""A backward step, several of them, or an explanation, typeset in LaTeX.

    `record` is a `BackwardStep`, an iterable of them (`backward_steps(C)`: consuming it runs
    the backward pass, as printing it does) or an `Explanation` (`explain(C, W)`). The result
    is an `aligned` environment, one row for each line of the record's text, aligned on the
    relations (`=`, `\mathrel{+}=`), for display math: KaTeX's `displayMode`, MathJax, or
    `\[ ... \]` in a paper. `markdown=True` writes Markdown instead: an explanation's first
    and last lines as prose with `$...$` math, its paths and every step's lines as display math
    between `$$` lines, for a notebook's Markdown cell or a README."""
    if not isinstance(markdown, bool):
        raise TypeError(f"to_latex: markdown must be True or False, got {markdown!r}")
    checked = _check_record(record, "to_latex")
    if not isinstance(checked, Explanation):
        rows = [row for step in checked for row in _step_rows(step)]
        return f"$$\n{_aligned(rows)}\n$$" if markdown else _aligned(rows)
    heading, rows, total = _explanation_rows(checked)
    if not markdown:
        return _aligned([heading, *rows, *([total] if total else [])])
    root, leaf = name_latex(checked.root), name_latex(checked.leaf)
    whole = _grad(checked.root, checked.leaf)
    if total is None:  # as the text says it: C does not depend on x: dC/dx = 0
        return f"${root}$ does not depend on ${leaf}$: ${whole} = 0$"
    count = len(checked.paths)
    return (
        f"${whole}$: {count} path{'s' if count > 1 else ''} from ${root}$ to ${leaf}$\n\n"
        f"$$\n{_aligned(rows)}\n$$\n\n"
        f"${whole} = {number_latex(checked.total)}$ ({_how(count)})"
    )


# ---- the network view's lines

_FUNCTION_WORDS = _OPERATORS | {"exp", "sqrt", "abs", "sign", "step", "relu", "sigmoid", "f"}
_PROSE = re.compile(r"[A-Za-z][a-z]+")  # a word; the article a, see _joined
_NETWORK_TOKEN = re.compile(
    r"""(?P<space>\s+)
    |∂(?P<node>[^\s/]+)/∂(?P<of>[^\s,;:()\[\]=]+)
    |(?P<number>\d[\d_]*(?:,\d{3})*(?:\.\d*)?(?:[eE][-+]?\d+)?)
    |(?P<power>\*\*)
    |(?P<possessive>'s)(?!\w)
    |(?P<adds>\+=)
    |(?P<word>[^\W\d_](?:[^\W_]|[._](?=[^\W_]))*(?:_\{[^{}\s]*\})?)
    |(?P<sub>_(?:\{[^{}\s]*\}|[^\W_]+))
    |(?P<sup>\^(?:\{[^{}\s]*\}|[^\W_]+))
    |(?P<other>.)""",
    re.VERBOSE,
)
_SYMBOLS = {
    "×": r"\times",
    "⊙": r"\odot",
    "…": r"\ldots",
    "·": r"\cdot",
    "*": r"\cdot",
    "−": "-",
    "∂": r"\partial",
    "Σ": r"\sum",
    "→": r"\to",
    "‖": r"\|",
    "½": r"\tfrac{1}{2}",
    "²": "^{2}",
}
_OWNS = re.compile(r"'s(?!\w)")
_OPENS = {"(", "[", "=", ",", r"\mathrel{+}=", r"\times", r"\odot", r"\cdot", r"\colon"}
_PUNCTUATION = {":": r"\colon", ",": ",", ".": ".", ";": ";"}


@dataclass
class _Piece:
    kind: str  # "math", "text", "space"; "punct" and "sign": text or math by their neighbours
    tex: str
    plain: str = ""  # what a space or punctuation is in words


def network_line_latex(text: str, *, cost: str) -> str:
    r"""One line of the network view (`network.py`'s steps, its formulas δ_L = dC/da_L ⊙
    f'(z_L), δ_i = (W_{i+1}^T δ_{i+1}) ⊙ f'(z_i), dC/dW_i = δ_i x_{i−1}^T), as LaTeX, for a
    cost named `cost` (the root's name: its gradients are d{cost}/d...).

    It knows the view's notation: `d{cost}/dX` as a gradient, `∂z/∂w` as a local derivative,
    δ σ Σ as Greek, `W_2`, `δ_{i+1}` and `(...)_4` as subscripts, `^T`, ⊙, ×, …, `**2` as a
    power, `σ'(z)` and `tanh'(z)` as derivatives of functions, `[...]` as vectors; a neuron's
    and a weight's names (`L1.N2`, `L2.N1.w1`) upright; lowercase words (`row`, `from the
    layer above`) as text, and a gap of two spaces or more as `\quad`. Every other character
    is escaped as in a name, so a line of any shape is valid LaTeX."""
    if not isinstance(text, str):
        raise TypeError(f"network_line_latex: text must be a str, got {type(text).__name__}")
    if not isinstance(cost, str):
        raise TypeError(f"network_line_latex: cost must be a str, got {type(cost).__name__}")
    gradient = re.compile(re.escape(f"d{cost}/d") + r"(?P<of>[^\s,;:()\[\]=]+)")
    pieces: list[_Piece] = []
    position, line = 0, printable(text.strip())
    while position < len(line):
        found = gradient.match(line, position)
        if found is not None and cost:
            pieces.append(_Piece("math", _network_grad(cost, found["of"])))
            position = found.end()
            continue
        token = _NETWORK_TOKEN.match(line, position)
        if token is None:  # every character matches `other`
            raise AssertionError(f"network_line_latex: no token at {position} of {line!r}")
        position = token.end()
        pieces.append(_network_piece(token, line[position:]))
    return _joined(pieces)


def _network_grad(cost: str, of: str) -> str:
    return rf"\frac{{d{name_latex(cost)}}}{{d{_network_name(of)}}}"


def _network_name(word: str) -> str:
    """A name in a network line: `δ_2`, `W_{i+1}`, `a_L` as the notation's subscripts
    (a one-letter base); `L2.N1.w1`, `a_prev` as names."""
    found = re.fullmatch(r"(?P<base>[^\W\d_])_(?P<sub>\{[^{}\s]*\}|\d+|[^\W\d_])", word)
    if found is None:
        return name_latex(word)
    sub = found["sub"]
    if sub.startswith("{"):
        sub = sub[1:-1]
    written = "".join(_SYMBOLS.get(char, _escaped(char, _MATH_ESCAPES)) for char in sub)
    base = found["base"]
    head = r"\sum" if base == "Σ" else name_latex(base)
    return f"{head}_{{{written}}}"


def _network_piece(token: re.Match[str], after: str) -> _Piece:
    if token["space"] is not None:
        return _Piece("space", r" \quad " if len(token["space"]) > 1 else " ", " ")
    if token["node"] is not None:
        return _Piece("math", _local(token["node"], token["of"]))
    if token["number"] is not None:
        number = token["number"].replace("_", "").replace(",", "{,}")
        found = _SCIENTIFIC.fullmatch(number)
        if found is not None:
            number = rf"{found['mantissa']} \cdot 10^{{{int(found['exponent'])}}}"
        return _Piece("math", number)
    if token["power"] is not None:
        return _Piece("math", "^")  # the exponent that follows is wrapped by _joined
    if token["adds"] is not None:  # the scalar view's dC/dx += ∂mul4/∂x × dC/dmul4
        return _Piece("math", r" \mathrel{+}= ")
    if token["possessive"] is not None:
        return _Piece("text", "'s")  # L1.N1's: a possessive, not a prime
    if token["word"] is not None:
        return _network_word(token["word"], after)
    if token["sub"] is not None or token["sup"] is not None:
        mark = token["sub"] or token["sup"]
        inside = mark[1:]
        if inside.startswith("{"):
            inside = inside[1:-1]
        written = "".join(_SYMBOLS.get(char, _escaped(char, _MATH_ESCAPES)) for char in inside)
        return _Piece("math", f"{mark[0]}{{{written}}}")
    char = token["other"]
    if char in _PUNCTUATION:
        return _Piece("punct", _PUNCTUATION[char], char)
    if char in "=<>":
        return _Piece("math", f" {char} ")
    if char in "+-−":
        return _Piece("sign", f" {_SYMBOLS.get(char, char)} ", _SYMBOLS.get(char, char))
    if char in "×⊙·*":
        return _Piece("math", f" {_SYMBOLS[char]} ")
    if char in _SYMBOLS:
        return _Piece("math", _SYMBOLS[char])
    if char in "()[]|!?/'":
        return _Piece("math", char)
    return _Piece(
        "math", _escaped(char, _MATH_ESCAPES) if char in _MATH_ESCAPES else name_latex(char)
    )


def _network_word(word: str, after: str) -> _Piece:
    called = after.startswith("(") or (after.startswith("'") and not _OWNS.match(after))
    if word in _GREEK and word != "Σ":
        return _Piece("math", _GREEK[word])
    if word == "Σ":
        return _Piece("math", r"\sum")
    if "_" in word:
        return _Piece("math", _network_name(word))
    if word == "inf":
        return _Piece("math", r"\infty")
    if word == "a" and not called:
        return _Piece("math", "a", "a")  # a word if a word follows: "a linear neuron"
    if called and word in _NAMED:
        return _Piece("math", _NAMED[word])
    if called and word in _OPERATORS:
        return _Piece("math", f"\\{word}")
    if called and word in _FUNCTION_WORDS:
        return _Piece("math", word if len(word) == 1 else rf"\operatorname{{{word}}}")
    if _PROSE.fullmatch(word) and not called:
        return _Piece("text", word)
    if called and len(word) > 1:
        return _Piece("math", rf"\operatorname{{{_escaped(word, _MATH_ESCAPES)}}}")
    return _Piece("math", name_latex(word))


def _joined(pieces: list[_Piece]) -> str:
    r"""The pieces as one line of LaTeX: punctuation and spaces among words are words, a run of
    words one `\text{}`, and `**` wraps the piece after it as an exponent."""
    kinds = [piece.kind for piece in pieces]

    def beside(i: int, step: int) -> int | None:  # the next piece that is not a space
        i += step
        while 0 <= i < len(pieces) and pieces[i].kind == "space":
            i += step
        return i if 0 <= i < len(pieces) else None

    for i, piece in enumerate(pieces):  # the article a, before a word
        after = beside(i, 1)
        if piece.plain == "a" and after is not None and pieces[after].kind == "text":
            kinds[i] = "text"
    for i, piece in enumerate(pieces):  # punctuation goes with the word before it
        if piece.kind == "punct":
            before = beside(i, -1)
            kinds[i] = "text" if before is not None and kinds[before] == "text" else "math"
    for i, piece in enumerate(pieces):  # a sign after an opening or an operator: unary
        if piece.kind == "sign":
            before = beside(i, -1)
            kinds[i] = "math"
            if before is None or kinds[before] == "text" or pieces[before].tex.strip() in _OPENS:
                piece.tex = piece.plain  # unspaced: (-0.5717)
    for i, piece in enumerate(pieces):  # a space beside a word is part of the words
        if piece.kind == "space":
            near = {kinds[j] for j in (i - 1, i + 1) if 0 <= j < len(pieces)}
            kinds[i] = "text" if "text" in near else "math"
    out: list[str] = []
    words: list[str] = []
    power = False  # after **: the next piece, or the next bracket's content, is the exponent
    depth = 0  # inside a bracketed exponent, how deep
    for piece, kind in zip(pieces, kinds, strict=True):
        if kind == "text":
            words.append(piece.plain or piece.tex)
            continue
        if words:
            out.append(_text("".join(words)))
            words = []
        tex = piece.tex.strip() if power or depth else piece.tex
        if piece.kind == "punct" and piece.plain == ":":
            tex = r"\colon"
        if power and piece.kind != "space":
            power = False
            depth = 1 if tex == "(" else 0
            out.append("{" if depth else f"{{{tex}}}")  # a**(n - 1): a^{n - 1}
            continue
        if depth:
            depth += {"(": 1, ")": -1}.get(tex, 0)
            out.append("}" if depth == 0 else f" {tex} " if piece.kind == "sign" else tex)
            continue
        power = tex == "^"
        out.append(tex)
    if words:
        out.append(_text("".join(words)))
    out.append("{}" if power else "}" * depth)  # a line that ends inside its exponent
    return re.sub(r"  +", " ", "".join(out)).strip()


# ---- KaTeX, shipped inside the package

KATEX_VERSION = "0.19.1"
"""The KaTeX in `page/katex/`, from the npm registry's katex-0.19.1.tgz (see its README.md)."""
KATEX_FONTS = (
    "Main-Regular",
    "Math-Italic",
    "Size1-Regular",
    "Size2-Regular",
    "Size3-Regular",
    "Size4-Regular",
)
"""The KaTeX fonts `katex_style()` inlines by default: every one the formulas of this module
use (upright names, numbers and text in Main-Regular, letters and Greek in Math-Italic, large
brackets and Σ in Size1-4). The other fourteen (bold, script, fraktur, AMS, ...) would triple
the size of every page for commands it never writes; they are in page/katex/fonts/ for a page
that needs them (`katex_style(fonts=...)`)."""


def _katex_folder() -> Traversable:
    return resources.files("micrograd_like") / "page" / "katex"


def katex_fonts() -> tuple[str, ...]:
    """Every KaTeX font shipped in page/katex/fonts/, as `katex_style(fonts=...)` names them."""
    return tuple(
        sorted(
            each.name.removeprefix("KaTeX_").removesuffix(".woff2")
            for each in (_katex_folder() / "fonts").iterdir()
            if each.name.endswith(".woff2")
        )
    )


_FONT_FACE = re.compile(r"@font-face\{[^{}]*\}")
_FONT_FILE = re.compile(r"url\(fonts/KaTeX_(?P<font>[\w-]+)\.woff2\)")
_SOURCES = re.compile(r"src:[^;{}]*")


def katex_style(*, fonts: Iterable[str] = KATEX_FONTS) -> str:
    """KaTeX's stylesheet for a page with nothing to fetch: `katex.min.css` with the `fonts`
    inlined as `data:` URLs (woff2) and the @font-face rules of the others left out (their
    glyphs fall back to the page's own fonts), then one rule of ours: a display too wide for
    its box scrolls sideways. Put it in the page's `<style>` (or a widget's `_css`). About 110
    kB with the default fonts, 370 kB with all twenty."""
    if isinstance(fonts, str) or not isinstance(fonts, Iterable):
        raise TypeError(f"katex_style: fonts must be a list of font names, got {fonts!r}")
    wanted = tuple(fonts)
    known = katex_fonts()
    unknown = [each for each in wanted if each not in known]
    if unknown:
        raise ValueError(
            f"katex_style: fonts {unknown!r} are not KaTeX's; it has {', '.join(known)}"
        )
    return _style(tuple(sorted(set(wanted))))


@functools.cache
def _style(fonts: tuple[str, ...]) -> str:
    css = (_katex_folder() / "katex.min.css").read_text("utf-8")

    def inlined(rule: re.Match[str]) -> str:
        found = _FONT_FILE.search(rule[0])
        if found is None:
            raise RuntimeError(f"page/katex/katex.min.css: an @font-face without woff2: {rule[0]}")
        if found["font"] not in fonts:
            return ""
        data = (_katex_folder() / "fonts" / f"KaTeX_{found['font']}.woff2").read_bytes()
        url = f"url(data:font/woff2;base64,{base64.b64encode(data).decode('ascii')})"
        return _SOURCES.sub(lambda _: f'src:{url} format("woff2")', rule[0])

    css = _FONT_FACE.sub(inlined, css)
    if "url(fonts/" in css:  # a rule the pattern missed would make the page fetch a file
        raise RuntimeError("page/katex/katex.min.css refers to a font file outside @font-face")
    ours = ".katex-display{overflow-x:auto;overflow-y:hidden}"
    return f"{css}\n/* micrograd_like: a long chain of factors scrolls sideways */\n{ours}\n"


def katex_script() -> str:
    """The script that makes `globalThis.micrograd_like_katex`: `{katex, typeset, version}`,
    KaTeX itself and `typeset(element)` (page/katex/typeset.js), which typesets every
    `[data-tex]` element inside `element` over its plain text. KaTeX runs inside a function
    that hands it CommonJS's `module`, so it defines no other global and takes no part in a
    notebook's AMD loader. The text works as a classic `<script>`, as the start of a module
    script and as the start of a widget's `_esm`; it holds no `</script`. About 270 kB."""
    return _script()


@functools.cache
def _script() -> str:
    katex = (_katex_folder() / "katex.min.js").read_text("utf-8")
    typeset = (_katex_folder() / "typeset.js").read_text("utf-8")
    script = (
        f"/* KaTeX {KATEX_VERSION}, MIT licence, (c) Khan Academy and other contributors: "
        "micrograd_like/page/katex/ */\n"
        "(() => {\n"
        "try {\n"
        "const module = {exports: {}};\n"
        "const exports = module.exports;\n"
        f"{katex}\n;\n"
        "const katex = module.exports;\n"
        f"{typeset}\n"
        "const version = katex.version;\n"
        "globalThis.micrograd_like_katex = Object.freeze({katex, typeset, version});\n"
        "} catch (error) {\n"
        "  // KaTeX could not start: every formula keeps its plain text\n"
        "}\n"
        "})();\n"
    )
    if "</script" in script.lower() or "<!--" in script:
        raise RuntimeError("page/katex/: the script would end the page's <script> element")
    return script
