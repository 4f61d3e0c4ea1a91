"""micrograd_like.latex: the chain rule typeset. The one-neuron example's LaTeX, word for word;
every built-in op's formulas, checked against sympy by reading the LaTeX back; hostile labels
that must stay text; the network view's lines; and KaTeX itself, rendering all of it in
headless Chromium from one self-contained page, offline, without a console message."""

from __future__ import annotations

import cmath
import fnmatch
import html
import math
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sympy
from sympy.parsing.sympy_parser import parse_expr

from demos.network_page import seed_network
from micrograd_like import MLP, Value, backward_steps, explain, to_latex
from micrograd_like.engine import OPS
from micrograd_like.latex import (
    KATEX_FONTS,
    KATEX_VERSION,
    formula_latex,
    katex_fonts,
    katex_script,
    katex_style,
    latex_lines,
    name_latex,
    network_line_latex,
    number_latex,
)
from micrograd_like.page import backprop_data
from micrograd_like.view import printable
from tests.chromium import chromium

KATEX = Path(__file__).parent.parent / "micrograd_like" / "page" / "katex"


def one_neuron() -> tuple[Value, Value]:
    """The seeds' neuron: O = W a_prev + b, a = σ(O), C = (a − y)²; the cost and W."""
    W, a_prev, b, y = Value(0.8, "W"), Value(1.5, "a_prev"), Value(0.1, "b"), Value(0.5, "y")
    O = W * a_prev + b  # noqa: E741 (the seeds' name for the weighted input)
    O.label = "O"
    a = O.sigmoid()
    a.label = "a"
    C = (a - y) ** 2
    C.label = "C"
    return C, W


def balanced(tex: str) -> bool:
    """Braces nest, `\\left` meets `\\right` and `\\begin` meets `\\end`: a backslash and the
    character after it are skipped (`\\{` is a brace written, not a group)."""
    depth, i = 0, 0
    while i < len(tex):
        if tex[i] == "\\":
            i += 2
            continue
        depth += {"{": 1, "}": -1}.get(tex[i], 0)
        if depth < 0:
            return False
        i += 1
    commands = re.findall(r"\\(left|right|begin|end)(?![A-Za-z])", tex)
    return (
        depth == 0
        and commands.count("left") == commands.count("right")
        and commands.count("begin") == commands.count("end")
    )


# ---- the one-neuron example, word for word

EXPLAINED = r"""\begin{aligned}
\frac{dC}{dW}\colon &\text{1 path from }C\text{ to }W \\
\text{path 1: }\frac{dC}{dW} &= \frac{\partial C}{\partial \mathrm{sub7}} \cdot \frac{\partial \mathrm{sub7}}{\partial a} \cdot \frac{\partial a}{\partial O} \cdot \frac{\partial O}{\partial \mathrm{mul4}} \cdot \frac{\partial \mathrm{mul4}}{\partial W} \\
&= 2\,\mathrm{sub7}^{2 - 1} \cdot 1 \cdot \sigma(O)\,(1 - \sigma(O)) \cdot 1 \cdot \mathrm{a\_prev} \\
&= 0.5717 \times 1.0 \times 0.1683 \times 1.0 \times 1.5 \\
&= 0.1443 \\
\frac{dC}{dW} &= 0.1443 \quad \text{(the one path)}
\end{aligned}"""  # noqa: E501


def test_explain_of_the_one_neuron_is_its_text_typeset() -> None:
    C, W = one_neuron()
    explanation = explain(C, W)
    assert to_latex(explanation) == EXPLAINED
    assert balanced(EXPLAINED)
    # one line of LaTeX for each line of the text, in order
    lines = latex_lines(explanation)
    assert len(lines) == len(explanation.text().split("\n")) == 6
    assert lines[2] == EXPLAINED.split("\n")[3].removesuffix(" \\\\").replace("&", "")
    assert lines[2] == (
        r"= 2\,\mathrm{sub7}^{2 - 1} \cdot 1 \cdot \sigma(O)\,(1 - \sigma(O)) \cdot 1 \cdot "
        r"\mathrm{a\_prev}"
    )
    assert math.isclose(explanation.total, 0.1443, abs_tol=5e-5)


def test_markdown_writes_prose_with_inline_math_and_the_paths_as_display_math() -> None:
    C, W = one_neuron()
    markdown = to_latex(explain(C, W), markdown=True)
    rows = EXPLAINED.split("\n")[2:-2]  # the path's rows, without the first and last lines
    assert markdown == (
        "$\\frac{dC}{dW}$: 1 path from $C$ to $W$\n\n"
        "$$\n\\begin{aligned}\n" + "\n".join(rows)[: -len(" \\\\")] + "\n\\end{aligned}\n$$\n\n"
        "$\\frac{dC}{dW} = 0.1443$ (the one path)"
    )
    steps = to_latex(backward_steps(C), markdown=True)
    assert steps.startswith("$$\n\\begin{aligned}\n") and steps.endswith("\\end{aligned}\n$$")
    # no $ inside the math but the delimiters: the two of each display
    assert steps.count("$") == 4


def test_every_step_and_every_line_of_the_backward_pass() -> None:
    C, _ = one_neuron()
    steps = list(backward_steps(C))
    lines = latex_lines(steps)
    assert len(lines) == sum(len(step.text().split("\n")) for step in steps) == 13
    assert lines[0] == r"\frac{dC}{dC} = 1 \quad \text{(the root: the gradient of }C\text{ itself)}"
    assert (
        r"\frac{dC}{dW} \mathrel{+}= \frac{\partial \mathrm{mul4}}{\partial W} \cdot "
        r"\frac{dC}{d\mathrm{mul4}} = 1.5 \times 0.0962 = 0.1443" in lines
    )
    assert r"= (-1.0) \times 0.5717 = -0.5717" in lines[3]  # ∂sub7/∂y, bracketed
    assert r"\frac{dC}{dW} = 0.1443 \quad \text{(a leaf: final)}" in lines
    whole = to_latex(steps)
    assert balanced(whole) and whole.count(r" \\") == 12  # 13 rows
    (mul4,) = [step for step in steps if step.name == "mul4"]  # one step: W * a_prev's
    assert to_latex(mul4) == (
        "\\begin{aligned}\n"
        + " \\\\\n".join(line.replace(" ", " &", 1) for line in lines[7:9])
        + "\n\\end{aligned}"
    )


def test_every_shape_of_text_has_its_line() -> None:
    C, W = one_neuron()
    x = Value(3.0, "x")
    square = x * x  # two paths to x
    square.label = "s"
    C.backward()  # a second pass: the leaves' lines say that grads add up
    records: list[Any] = [
        list(backward_steps(C, constants=False, identity=False)),
        list(backward_steps(C)),  # W.grad held two passes' before this one
        list(backward_steps(x)),  # the root is a leaf
        explain(C, W, identity=False),
        explain(square, x),
        explain(C, C),  # the root itself: a path without factors
        explain(x + 1.0, x, identity=False),  # all its factors are 1
        explain(C, x),  # no path
    ]
    for record in records:
        text = (
            "\n".join(step.text() for step in record) if isinstance(record, list) else record.text()
        )
        lines = latex_lines(record)
        assert len(lines) == len(text.split("\n")), text
        assert all(balanced(line) for line in lines)
        assert balanced(to_latex(record)) and balanced(to_latex(record, markdown=True))
    # the third pass over W (the first two: C.backward() and records[0])
    assert "W.grad holds 0.433, as it held 0.2886 before" in records[1][-4].text()
    assert latex_lines(records[1][-4]) == [
        r"\frac{dC}{dW} = 0.1443 \quad \text{(a leaf: final for this pass; }W\mathrm{.grad}"
        r"\text{ holds }0.433\text{, as it held }0.2886\text{ before: leaf grads add up)}"
    ]
    assert "(2 factors of 1 left out)" in records[3].text()  # ∂sub7/∂a and ∂O/∂mul4
    assert r"\text{(2 factors of 1 left out)}" in to_latex(records[3])
    assert to_latex(records[4]).count(r"\text{path ") == 2
    assert records[7].text() == "C does not depend on x: dC/dx = 0"
    assert to_latex(records[7], markdown=True) == r"$C$ does not depend on $x$: $\frac{dC}{dx} = 0$"


def test_constants_are_numbers_in_a_formula_and_your_own_op_is_its_text() -> None:
    x = Value(2.0, "x")
    cost = (x * 3.0 - 1.0) ** 2 / 4.0
    cost.label = "C"
    written = to_latex(explain(cost, x, constants=False))
    assert r"\frac{1}{4.0}" in written and r"\cdot 3.0" in written
    assert "const" not in written.split(r"\\")[2]  # the formulas' row: numbers, not names

    def sine(t: Value) -> Value:
        return Value.from_op("sine_tex", math.sin(t.data), [t], [math.cos(t.data)], ["cos(a)"])

    def odd(t: Value) -> Value:  # a formula that is not maths: written as its text
        return Value.from_op("odd_tex", t.data, [t], [1.0], ["2 * a^2"])

    def bare(t: Value) -> Value:  # no formula at all
        return Value.from_op("bare_tex", t.data, [t], [1.0])

    y = bare(odd(sine(x)))
    y.label = "y"
    written = to_latex(explain(y, x))
    # ∂y/∂odd_tex2 has no formula, ∂odd_tex2/∂sine_tex1 one that is not maths, ∂sine_tex1/∂x
    assert r"&= ? \cdot \text{2 * sine\_tex1\textasciicircum{}2} \cdot \cos(x) \\" in written
    assert balanced(written)


# ---- formulas: every built-in op's, and sympy as the oracle of what they mean

FORMULAS = {
    "a + b": "a + b",
    "a - b": "a - b",
    "-a": "-a",
    "-1": "-1",
    "a * b": r"a\,b",
    "a": "a",
    "b": "b",
    "a / b": r"\frac{a}{b}",
    "1 / b": r"\frac{1}{b}",
    "-a / b**2": r"-\frac{a}{b^{2}}",
    "a**b": "a^{b}",
    "b * a**(b - 1)": r"b\,a^{b - 1}",
    "out * log(a)": r"\mathrm{out}\,\log(a)",
    "a**n": "a^{n}",
    "n * a**(n - 1)": r"n\,a^{n - 1}",
    "sqrt(a)": r"\sqrt{a}",
    "1 / (2 * sqrt(a))": r"\frac{1}{2\,\sqrt{a}}",
    "abs(a)": r"\left|a\right|",
    "sign(a)": r"\operatorname{sign}(a)",
    "exp(a)": "e^{a}",
    "log(a)": r"\log(a)",
    "1 / a": r"\frac{1}{a}",
    "sin(a)": r"\sin(a)",
    "cos(a)": r"\cos(a)",
    "-sin(a)": r"-\sin(a)",
    "tanh(a)": r"\tanh(a)",
    "1 - tanh(a)**2": r"1 - \tanh(a)^{2}",
    "sigmoid(a)": r"\sigma(a)",
    "sigmoid(a) * (1 - sigmoid(a))": r"\sigma(a)\,(1 - \sigma(a))",
    "max(a, 0)": r"\max(a, 0)",
    "step(a)": r"\operatorname{step}(a)",
    "0": "0",
    "1": "1",
}


def built_in_formulas() -> set[str]:
    """The formulas of the engine's own ops (other tests enter ops of their own in OPS)."""
    return {
        formula
        for op in OPS.values()
        if op.method is not None and getattr(Value, op.method.__name__, None) is op.method
        for formula in (op.value, *(op.local or ()))
    }


def test_every_built_in_op_has_its_latex() -> None:
    assert built_in_formulas() <= set(FORMULAS), "a new op: add its formulas' LaTeX here"
    for formula in built_in_formulas():
        assert formula_latex(formula) == FORMULAS[formula]


def test_a_fraction_is_bracketed_under_a_power() -> None:
    # \\frac{a}{b}^{2} means the same to TeX, but reads as a / b^2
    assert formula_latex("(a / b)**2") == r"\left(\frac{a}{b}\right)^{2}"
    assert formula_latex("(-a / b)**2") == r"\left(-\frac{a}{b}\right)^{2}"


def test_symbols_put_names_and_numbers_in() -> None:
    assert formula_latex("n * a**(n - 1)", {"a": "sub7", "n": 2}) == r"2\,\mathrm{sub7}^{2 - 1}"
    assert formula_latex("b * a", {"a": -2.5, "b": "x"}) == r"x\,(-2.5)"
    assert formula_latex("a * b", {"a": 1.5e-9, "b": "L2.N1.w1"}) == (
        r"(1.5 \cdot 10^{-9})\,\mathrm{L2.N1.w1}"
    )
    assert formula_latex("sigmoid(a)", {"a": "{"}) == r"\sigma(\mathrm{\{})"


def python_of(tex: str) -> str:
    """formula_latex's LaTeX read back into Python for sympy: its commands, each as what it
    means (only those it writes; anything else fails the comparison)."""
    words = {
        r"\cdot": "*",
        r"\,": "*",
        r"\sigma": "sigmoid",
        r"\max": "Max",
        r"\left|": "Abs(",
        r"\right|": ")",
        r"\left(": "(",
        r"\right)": ")",
    }
    out: list[str] = []
    tokens = re.findall(r"\\left[(|]|\\right[)|]|\\,|\\[A-Za-z]+|\\.|.", tex)
    i = 0

    def group() -> str:  # the {...} at tokens[i]
        nonlocal i
        assert tokens[i] == "{", tex
        depth, start = 0, i
        while True:
            depth += {"{": 1, "}": -1}.get(tokens[i], 0)
            i += 1
            if depth == 0:
                return python_of("".join(tokens[start + 1 : i - 1]))

    while i < len(tokens):
        token = tokens[i]
        i += 1
        if token == r"\frac":
            top = group()
            out.append(f"(({top})/({group()}))")
        elif token == r"\sqrt":
            out.append(f"sqrt({group()})")
        elif token in (r"\operatorname", r"\mathrm"):
            out.append(group().replace(r"\_", "_"))
        elif token == "^":
            out.append(f"**({group()})")
        elif token == "e" and i < len(tokens) and tokens[i] == "^":
            out.append("E")
        elif token in words:
            out.append(words[token])
        elif token.startswith("\\"):
            out.append(token[1:])  # \tanh, \log, \sin: the function's name
        else:
            out.append(token)
    return "".join(out)


X = sympy.Symbol("x")
NAMES: dict[str, Any] = {
    "sigmoid": sympy.Lambda(X, 1 / (1 + sympy.exp(-X))),
    "step": sympy.Lambda(X, sympy.Heaviside(X)),
    "sign": sympy.sign,
    "Max": sympy.Max,
    "max": sympy.Max,
    "Abs": sympy.Abs,
    "abs": sympy.Abs,
    "E": sympy.E,
    **{name: sympy.Symbol(name) for name in ("a", "b", "n", "out")},
}
AT = {
    sympy.Symbol("a"): 0.7,
    sympy.Symbol("b"): 1.3,
    sympy.Symbol("n"): 3,
    sympy.Symbol("out"): 0.4,
}


def agrees(formula: str) -> bool | None:
    """Whether formula_latex(formula), read back, is the formula: equal numbers at a point
    where both are finite reals (None where the formula is not: 1/(a - a)). A sign right after
    an operator (`a\\,-b`, `a + -b`) is Python, not maths, which would read it as a - b: it
    counts as wrong."""
    python = python_of(formula_latex(formula))
    if re.search(r"[-+*/]\s*[-+]", python):
        return False
    expected = complex(parse_expr(formula, local_dict=dict(NAMES)).evalf(subs=AT))
    read = complex(parse_expr(python, local_dict=dict(NAMES)).evalf(subs=AT))
    if not all(map(math.isfinite, (expected.real, expected.imag))):
        return None
    return cmath.isclose(expected, read, rel_tol=1e-9, abs_tol=1e-12)


def test_every_built_in_formula_means_what_it_says() -> None:
    for formula in built_in_formulas():
        assert agrees(formula), (formula, formula_latex(formula))


def test_the_oracle_sees_a_bracket_left_out() -> None:
    assert python_of(r"a - \frac{b}{2}") == "a - ((b)/(2))"
    # `a - b + c` for a - (b + c) is wrong, and read back it says so
    assert not math.isclose(
        float(parse_expr(python_of("a - b + 1"), local_dict=dict(NAMES)).evalf(subs=AT)),
        float(parse_expr("a - (b + 1)", local_dict=dict(NAMES)).evalf(subs=AT)),
    )


# Brackets are decided between an operator and its operands, so every operator over every kind
# of operand, on either side, covers them: sums, products, quotients, powers, calls, a minus in
# front of each (-a / b is written -\frac{a}{b}), plain and negative numbers.
OPERANDS = [
    "a",
    "2",
    "0.5",
    "-a",
    "a + b",
    "a - b",
    "-a + b",
    "a * b",
    "-a * b",
    "a / b",
    "-a / b",
    "a ** b",
    "exp(a)",
    "sigmoid(a)",
]


def test_every_operator_over_every_operand_keeps_its_meaning() -> None:
    formulas = [
        f"({left}) {op} ({right})"
        for op in ("+", "-", "*", "/", "**")
        for left in OPERANDS
        for right in OPERANDS
    ]
    formulas += [f"-({each})" for each in OPERANDS] + [
        f"max({each}, -({each}))" for each in OPERANDS
    ]
    wrong = [(each, formula_latex(each)) for each in formulas if agrees(each) is False]
    assert wrong == []


@pytest.mark.parametrize(
    ("formula", "why"),
    [
        ("a if b else c", "IfExp"),
        ("a.b", "Attribute"),
        ("f(x=1)", "Call"),
        ("a < b", "Compare"),
        ("'s'", "Constant"),
        ("a // b", "BinOp"),
        ("(", "is not a formula"),
        ("(" * 300 + "a" + ")" * 300, "too many nested parentheses"),
        ("-" * 999 + "a", "nested too deeply"),
        ("a" + " + a" * 400, "more than MAX_FORMULA"),
    ],
)
def test_what_is_not_a_formula_is_refused_by_name(formula: str, why: str) -> None:
    with pytest.raises(ValueError, match="formula_latex: ") as refused:
        formula_latex(formula)
    assert why in str(refused.value)


# ---- names: hostile labels stay text

HOSTILE = [
    "{",
    "}",
    "\\",
    "$",
    "%",
    "#&^_~",
    "\\end{aligned}",
    "$$ x $$",
    "\\href{javascript:alert(1)}{x}",
    "</script><img src=x onerror=alert(1)>",
    "a b\tc\x1b[31m",
    "}\\\\ \\text{",
    "W₁ 重み",
]
UNESCAPE = {
    r"{\backslash}": "\\",
    r"{\hat{}}": "^",
    r"{\sim}": "~",
    r"\ ": " ",
    **{f"\\{char}": char for char in "{}_$%&#"},
}


@pytest.mark.parametrize("label", HOSTILE)
def test_a_hostile_label_is_its_characters_and_nothing_more(label: str) -> None:
    written = name_latex(label)
    assert written.startswith(r"\mathrm{") and written.endswith("}")
    inside = written[len(r"\mathrm{") : -1]
    escapes = re.compile("|".join(re.escape(each) for each in UNESCAPE))
    assert escapes.sub(lambda m: UNESCAPE[m[0]], inside) == printable(label)
    # with its escapes taken out, no character that means anything to LaTeX is left
    assert not set(escapes.sub("", inside)) & set("\\{}$%&#^_~")

    line = network_line_latex(f"d{label}/d{label} = δ × {label}   ({label})", cost=label)
    assert balanced(line) and r"\begin" not in line and not re.search(r"(?<!\\)\$", line)

    x = Value(2.0, label)
    cost = x * Value(3.0, label + "'")
    cost.label = label + "!"
    for record in (explain(cost, x), list(backward_steps(cost))):
        latex = to_latex(record)
        assert balanced(latex)
        assert latex.count(r"\begin{") == latex.count(r"\end{") == 1
        markdown = to_latex(record, markdown=True)
        assert len(re.findall(r"(?<!\\)\$", markdown)) % 2 == 0  # every $ opens or closes


def test_names_and_numbers() -> None:
    assert [name_latex(name) for name in ("W", "a_prev", "mul4", "θ", "ab", "")] == [
        "W",
        r"\mathrm{a\_prev}",
        r"\mathrm{mul4}",
        r"\theta",
        r"\mathrm{ab}",
        r"\mathrm{}",
    ]
    assert [number_latex(x) for x in (0.1443, -0.5717, 1.234e-7, math.inf, -math.inf, 2)] == [
        "0.1443",
        "-0.5717",
        r"1.234 \cdot 10^{-7}",
        r"\infty",
        r"-\infty",
        "2",
    ]


def test_wrong_arguments_are_named() -> None:
    C, W = one_neuron()
    refusals: list[tuple[Callable[[], object], type[Exception], str]] = [
        (lambda: to_latex(3), TypeError, "to_latex: record must be a BackwardStep"),  # type: ignore[arg-type]
        (lambda: to_latex("dC/dW"), TypeError, "got str"),  # type: ignore[arg-type]
        (lambda: to_latex([C]), TypeError, "an iterable holding Value"),  # type: ignore[list-item]
        (lambda: to_latex([]), ValueError, "to_latex: record holds no step"),
        (lambda: to_latex(explain(C, W), markdown=1), TypeError, "markdown must be True or False"),  # type: ignore[arg-type]
        (lambda: latex_lines(None), TypeError, "latex_lines: record must be"),  # type: ignore[arg-type]
        (lambda: formula_latex(b"a"), TypeError, "formula_latex: formula must be a str"),  # type: ignore[arg-type]
        (lambda: formula_latex("a", ["a"]), TypeError, "symbols must be a mapping"),  # type: ignore[arg-type]
        (lambda: name_latex(4), TypeError, "name_latex: name must be a str"),  # type: ignore[arg-type]
        (lambda: number_latex("1"), TypeError, "number_latex: x must be a number"),  # type: ignore[arg-type]
        (lambda: network_line_latex(3, cost="C"), TypeError, "text must be a str"),  # type: ignore[arg-type]
        (lambda: network_line_latex("δ", cost=None), TypeError, "cost must be a str"),  # type: ignore[arg-type]
        (lambda: katex_style(fonts="Main-Regular"), TypeError, "fonts must be a list"),
        (lambda: katex_style(fonts=["Comic-Sans"]), ValueError, "['Comic-Sans'] are not KaTeX's"),
    ]
    for call, error, message in refusals:
        with pytest.raises(error) as refused:
            call()
        assert message in str(refused.value)


# ---- the network view's lines

NETWORK_LINES = {
    "δ_2 = dE/da_2 ⊙ σ'(z_2)   (the output layer: from the cost)": (
        r"\delta_{2} = \frac{dE}{da_{2}} \odot \sigma'(z_{2}) \quad (\text{the output layer: from "
        r"the cost})"
    ),
    "δ_i = (W_{i+1}^T δ_{i+1}) ⊙ f'(z_i)": (
        r"\delta_{i} = (W_{i+1}^{T} \delta_{i+1}) \odot f'(z_{i})"
    ),
    "dE/dW_i = δ_i x_{i−1}^T,  dE/db_i = δ_i": (
        r"\frac{dE}{dW_{i}} = \delta_{i} x_{i-1}^{T}, \quad \frac{dE}{db_{i}} = \delta_{i}"
    ),
    "L1.N4: dE/da = (W_2^T δ_2)_4 = Σ_j W_2[j,4] δ_2[j] = (-0.499) × (-0.1472) + 0.8 × 0.1 = 0.1": (
        r"\mathrm{L1.N4}\colon \frac{dE}{da} = (W_{2}^{T} \delta_{2})_{4} = \sum_{j} W_{2}[j,4] "
        r"\delta_{2}[j] = (-0.499) \times (-0.1472) + 0.8 \times 0.1 = 0.1"
    ),
    "L1.N1: δ = dE/da × tanh'(z) = 0.3 × 0.1 = 0.03   (tanh'(z) = 1 - tanh(z)**2 = 1 - a**2)": (
        r"\mathrm{L1.N1}\colon \delta = \frac{dE}{da} \times \tanh'(z) = 0.3 \times 0.1 = 0.03 "
        r"\quad (\tanh'(z) = 1 - \tanh(z)^{2} = 1 - a^{2})"
    ),
    "L2.N1: δ = dE/da × f'(z) = (-1.6502) × 1.0 = -1.6502   (a linear neuron: a = z, f'(z) = 1)": (
        r"\mathrm{L2.N1}\colon \delta = \frac{dE}{da} \times f'(z) = (-1.6502) \times 1.0 = "
        r"-1.6502 \quad (\text{a linear neuron: }a = z, f'(z) = 1)"
    ),
    "dE/dW_2 = δ_2 x_1^T, row 1:": r"\frac{dE}{dW_{2}} = \delta_{2} x_{1}^{T},\text{ row }1\colon",
    "  dE/dL2.N1.w1 = δ × a(L1.N1) = (-0.1472) × 0.8233 = -0.1212": (
        r"\frac{dE}{d\mathrm{L2.N1.w1}} = \delta \times a(\mathrm{L1.N1}) = (-0.1472) \times "
        r"0.8233 = -0.1212"
    ),
    "dE/dW += ∂mul4/∂W × dE/dmul4 = ?": (  # the scalar view's quiz: a rule, its number asked
        r"\frac{dE}{dW} \mathrel{+}= \frac{\partial \mathrm{mul4}}{\partial W} \times "
        r"\frac{dE}{d\mathrm{mul4}} = ?"
    ),
    "(f'(z) = n * z**(n - 1) = 2.0 at z = -0.5)": (  # an exponent in brackets: its group
        r"(f'(z) = n \cdot z^{n - 1} = 2.0\text{ at }z = -0.5)"
    ),
    "(relu'(z) = step(z) = 1.0 at z = 9.192)": (
        r"(\operatorname{relu}'(z) = \operatorname{step}(z) = 1.0\text{ at }z = 9.192)"
    ),
}


def test_the_network_views_notation() -> None:
    for text, expected in NETWORK_LINES.items():
        assert network_line_latex(text, cost="E") == expected


def network_lines() -> list[tuple[str, str]]:
    """Every line the network view writes for the seeds' 3-4-2 sigmoid network and for a
    ReLU network wide enough to write its weights as vectors, and the scalar view's rules and
    questions for the one neuron, each with the cost's name."""
    _, error = seed_network()
    wide = MLP(6, [3, 1], activation="relu", seed=0)
    out = wide([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert isinstance(out, Value)
    cost = (out - 1.0) ** 2
    cost.label = "C_{wide}$"  # a hostile cost
    found = []
    for root in (error, cost):
        data = backprop_data(root)
        found += [
            (line["text"], data["root"])
            for step in data["network"]["steps"]
            for line in step["lines"]
        ]
    # and the scalar view's lines, their rules (a line without its numbers) and the quiz's
    # questions (its number asked): the same notation
    for step in backward_steps(one_neuron()[0]):
        for line in step.text().split("\n"):
            rule = line.split(" = ")[0]
            found += [(line, "C"), (rule, "C"), (f"{rule} = ?", "C")]
    return found


def test_every_line_of_a_network_is_valid_latex() -> None:
    lines = network_lines()
    assert len(lines) > 50
    for text, cost in lines:
        latex = network_line_latex(text, cost=cost)
        assert balanced(latex), (text, latex)
        if text.lstrip().startswith(f"d{cost}/d"):  # a gradient of the cost, whatever its name
            assert latex.startswith(rf"\frac{{d{name_latex(cost)}}}"), latex


# ---- KaTeX, inside the package


def test_katex_is_vendored_whole_with_its_version_and_licence() -> None:
    assert f'version:"{KATEX_VERSION}"' in (KATEX / "katex.min.js").read_text("utf-8")
    assert f"**{KATEX_VERSION}**" in (KATEX / "README.md").read_text("utf-8")
    assert "Khan Academy" in (KATEX / "LICENSE").read_text("utf-8")
    assert len(katex_fonts()) == 20 and set(KATEX_FONTS) <= set(katex_fonts())
    style, script = katex_style(), katex_script()
    assert not re.search(r"url\((?!data:font/woff2;base64,)", style)  # nothing to fetch
    assert style.count("@font-face") == len(KATEX_FONTS)
    assert katex_style(fonts=katex_fonts()).count("@font-face") == 20
    assert "</script" not in script.lower() and "<!--" not in script
    # every file of the folder is package data (pyproject.toml), so a wheel carries it
    if sys.version_info >= (3, 11):
        import tomllib

        pyproject = tomllib.loads((KATEX.parents[2] / "pyproject.toml").read_text("utf-8"))
        patterns = pyproject["tool"]["setuptools"]["package-data"]["micrograd_like"]
        for path in KATEX.rglob("*"):
            if path.is_file():
                name = path.relative_to(KATEX.parents[1]).as_posix()
                assert any(fnmatch.fnmatch(name, pattern) for pattern in patterns), name


GLYPH_FONTS = """
const fonts = new Set();
for (const element of document.querySelectorAll(".katex-html *")) {
  const text = [...element.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
  if (!text) continue;
  const style = getComputedStyle(element);
  const family = style.fontFamily.split(",")[0].replaceAll('"', "").trim();
  if (!family.startsWith("KaTeX_")) continue;
  const bold = Number(style.fontWeight) >= 600, italic = style.fontStyle === "italic";
  const shape = bold ? (italic ? "BoldItalic" : "Bold") : italic ? "Italic" : "Regular";
  fonts.add(family.slice(6) + "-" + shape);
}
return [...fonts];
"""


def test_katex_typesets_every_formula_offline_in_chromium(tmp_path: Path) -> None:
    C, W = one_neuron()
    hostile = Value(2.0, "</script><img src=x onerror=alert(1)>{x}\\$%#&^_~")
    H = hostile * Value(3.0, "\\end{aligned}$$")
    H.label = "}\\\\ \\text{"
    shown: list[tuple[str, str, bool]] = [
        (to_latex(explain(C, W)), explain(C, W).text(), True),
        (to_latex(backward_steps(C)), "the backward pass", True),
        (to_latex(explain(H, hostile)), "hostile", True),
        *((formula_latex(each), each, False) for each in sorted(built_in_formulas())),
        *((network_line_latex(text, cost=cost), text, False) for text, cost in network_lines()),
        (r"\frac{1}{", "the text KaTeX refuses", False),
    ]
    block = ' data-tex-display="block"'
    body = "\n".join(
        f'<div><span data-tex="{html.escape(tex)}"{block if display else ""}>'
        f"{html.escape(text)}</span></div>"
        for tex, text, display in shown
    )
    # an AMD loader, as in a classic notebook: KaTeX must not register with it
    amd = "window.define = () => { throw new Error('AMD'); }; window.define.amd = {};"
    page = tmp_path / "formulas.html"
    page.write_text(
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><style>{katex_style()}</style>'
        f"<script>{amd}</script></head><body>{body}\n"
        f'<script type="module">{katex_script()}\n'  # as a widget's _esm starts
        "micrograd_like_katex.typeset(document.body);\n"
        "document.fonts.ready.then(() => { document.body.dataset.ready = 'yes'; });\n"
        "</script></body></html>",
        "utf-8",
    )
    with chromium(tmp_path / "profile", window=(1400, 1000)) as browser:
        browser.get(page.as_uri())
        for _ in range(100):
            if browser.execute_script("return document.body.dataset.ready") == "yes":
                break
            time.sleep(0.05)
        browser.save_screenshot(str(tmp_path / "formulas.png"))
        errors = browser.execute_script(
            "return [...document.querySelectorAll('[data-tex-error]')]"
            ".map(e => [e.textContent, e.dataset.texError])"
        )
        typeset = browser.execute_script(
            "return [...document.querySelectorAll('[data-tex]')]"
            ".filter(e => e.querySelector('.katex')).length"
        )
        faces = browser.execute_script(
            "return [...document.fonts].map(f => [f.family, f.style, f.weight, f.status])"
        )
        used = set(browser.execute_script(GLYPH_FONTS))
        injected = browser.execute_script("return document.querySelectorAll('img, a').length")
        fetched = browser.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
        )
        log = browser.get_log("browser")  # type: ignore[attr-defined]  # Chromium's
    assert [message for _, message in errors] == [errors[0][1]] and errors[0][0] == (
        "the text KaTeX refuses"  # refused: its plain text stays, and nothing else is
    )
    assert typeset == len(shown) - 1
    assert log == []  # no error, no warning
    assert injected == 0 and not [url for url in fetched if not url.startswith("data:")]
    assert all(status != "error" for *_, status in faces)
    assert used <= set(KATEX_FONTS), used  # every glyph's font is inlined
    loaded = {f"{family[6:]}-" for family, _, _, status in faces if status == "loaded"}
    assert {each.split("-")[0] + "-" for each in used} <= loaded
