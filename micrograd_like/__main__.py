"""The command line: `python -m micrograd_like graph EXPR NAME=VALUE... [-o PATH]`, also
installed as `micrograd-like`. Any error prints one line on stderr and exits with status 2.
Everything it prints is made safe for the console first (`say`): an unprintable character as
its escape, a character the console cannot encode as a backslash escape; so a written file is
always reported, with status 0.

An expression may start with a minus sign (`graph -x+1 x=2`): anything after `graph` that
starts with `-` but is not one of its options is taken for the expression."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from micrograd_like import __version__
from micrograd_like.engine import Value
from micrograd_like.expr import (
    FUNCTIONS,
    MAX_EXPONENT,
    MAX_LENGTH,
    ExpressionError,
    parse_assignment,
    parse_assignments,
    parse_expression,
)
from micrograd_like.view import GraphView, printable
from micrograd_like.viz import RANKDIRS, SUFFIX_FORMATS, MissingGraphviz, save_graph

PROG = "micrograd-like"

GRAPH_HELP = f"""\
Evaluate an expression at the given values, run backward() and print the value and the
partial derivative for each variable; with -o, also draw the computational graph.

example:
  {PROG} graph "2*x**2 + 3*x*y + y**3" x=1 y=2 -o graph.svg
    value  16
    d/dx   10
    d/dy   15
    wrote graph.svg

An expression may use numbers, the variables given as NAME=VALUE, + - * / **,
unary minus, parentheses and the functions {", ".join(FUNCTIONS)}
(one argument each). Each value is one argument, without spaces: x=1, not x = 1.
Names are read as Python reads them: a full-width x (U+FF58) is x, and X is not x.

naming the parts (the seeds' a = i*w, then the cost C = (a - y)^2):
  {PROG} graph "a = i*w; C = (a - y)**2" i=1.5 w=0.8 y=0.5 -o seed.png
    a      1.2
    C      0.49
    dC/di  1.12
    dC/dw  2.1
    dC/dy  -1.4
    dC/da  1.4
    wrote seed.png

Inside EXPR, parts NAME = EXPR are separated by ; and each may use the variables
and the parts named before it. The last part is the output; naming it names the
cost (unnamed, it is "value", and "f" in the drawing). Each name labels its node in
the drawing; a part's value and gradient are printed after the variables'. A part
must compute something (a = 2 is a value: give it as a=2) and every part but the
last must be used by a later one.

The expression is parsed, never run with eval: anything else (attribute access, other
calls, subscripts, strings, other statements, ...) is refused, as are expressions
longer than {MAX_LENGTH} characters, constant exponents beyond +-{MAX_EXPONENT} and power
towers such as 9**9**9. Errors print one line and exit with status 2; no file is
written then."""


class UsageError(Exception):
    """A command line that argparse refuses."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]  # raise, not exit
        raise UsageError(f"{message} (see {self.prog} --help)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="micrograd_like on the command line: draw the computational graph of an "
        "expression and print its partial derivatives.",
        epilog=f'example: {PROG} graph "2*x**2 + 3*x*y + y**3" x=1 y=2 -o graph.svg',
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    graph = commands.add_parser(
        "graph",
        help="evaluate an expression, print its derivatives, draw its graph",
        description=GRAPH_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    graph.add_argument("expression", metavar="EXPR", help='for example "x * exp(-y)"')
    graph.add_argument("values", metavar="NAME=VALUE", nargs="*", help="for example x=1.5")
    graph.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        type=Path,
        help=f"write the graph here; the suffix picks the format ({' '.join(SUFFIX_FORMATS)})",
    )
    graph.add_argument(
        "--no-grad",
        action="store_true",
        help="forward pass only: print the value, draw no gradients",
    )
    graph.add_argument(
        "--rankdir", choices=RANKDIRS, default="LR", help="direction of the drawing (default LR)"
    )
    return parser


# The graph subcommand's options, and those of them that take a value.
OPTIONS = ("-o", "--output", "--no-grad", "--rankdir", "-h", "--help")
TAKES_VALUE = ("-o", "--output", "--rankdir")


def _expression_first(argv: Sequence[str]) -> list[str]:
    """`argv` with an expression that starts with `-` (`-x+1`) marked as an argument, not an
    option: a leading space, which the parser strips again. Options of `graph` are left alone."""
    args = list(argv)
    if "graph" not in args or "--" in args:
        return args
    after_value = False
    for i in range(args.index("graph") + 1, len(args)):
        arg = args[i]
        if after_value:
            after_value = False
        elif arg in TAKES_VALUE:
            after_value = True
        elif arg.startswith("-") and not _is_option(arg):
            args[i] = " " + arg
    return args


def _is_option(arg: str) -> bool:
    """`--output=g.svg`, `-og.svg` and the options themselves."""
    name = arg.split("=", 1)[0]
    return name in OPTIONS or (arg.startswith("-o") and not arg.startswith("--") and len(arg) > 2)


def _check_split(values: Sequence[str], expression: str) -> None:
    """An assignment that is not one: a value the shell split at its spaces (`x = 1`, three
    arguments): say to write it without them; where the shell split an unquoted expression
    (`graph 2*x + 1 x=1`): say to quote it."""
    _check_spaced_values(values)
    stray = [value for value in values if "=" not in value]
    if stray:
        whole = " ".join([expression, *stray])
        raise ExpressionError(
            f"{stray[0]!r} is not NAME=VALUE: if it is part of the expression, the shell split "
            f'it at the spaces; quote the whole expression: {PROG} graph "{whole}" ...'
        )


def _check_spaced_values(values: Sequence[str]) -> None:
    """`x = 1`, `x= 1` or `x =1`: a value the shell split into two or three arguments at its
    spaces. Joined up, they must make one valid NAME=VALUE, or it is some other slip."""
    for i in range(len(values)):
        for span in (3, 2):
            pieces = values[i : i + span]
            if len(pieces) < span or "".join(pieces).count("=") != 1:
                continue
            if span == 3 and pieces[1] != "=":
                continue
            if span == 2 and not (pieces[0].endswith("=") or pieces[1].startswith("=")):
                continue
            joined = "".join(piece.strip() for piece in pieces)
            try:
                parse_assignment(joined)
            except ExpressionError:
                continue
            raise ExpressionError(
                f"{' '.join(pieces)!r} is {span} arguments: the shell splits at spaces; write "
                f"each value as one, without spaces: {joined}"
            )


def _check_finite(out: Value, field: str) -> None:
    """An infinity (x * 1e308 * 10) or a NaN is an error naming the first op that made it."""
    view = GraphView(out)
    order = view.order
    for node in order if field == "data" else reversed(order):  # where the trouble starts
        number = getattr(node, field)
        if not math.isfinite(number):
            inputs = ", ".join(repr(each.data) for each in node.inputs)
            name = f"{view.name(node)} = {node.op}({inputs})" if node.op else view.name(node)
            what = "value" if field == "data" else "gradient"
            raise ArithmeticError(
                f"{name} has the {what} {number!r}: the numbers are too large for a float"
            )


def _graph(args: argparse.Namespace) -> None:
    _check_split(args.values, args.expression.strip())
    expression = parse_expression(args.expression)
    values = parse_assignments(args.values)
    built = expression.build(values)
    out = built.out
    _check_finite(out, "data")
    # the named parts' values in order, the output last; then the gradients of the output
    # (dC/dw for a cost named C, d/dw for an unnamed one): the variables', then the parts'
    parts = {name: node for name, node in built.parts.items() if node is not out}
    rows = [(name, node.data) for name, node in parts.items()]
    rows.append((expression.output or "value", out.data))
    if not args.no_grad:
        out.backward()
        _check_finite(out, "grad")
        nodes = {name: built.leaves[name] for name in values} | parts
        rows += [(f"d{expression.output}/d{name}", node.grad) for name, node in nodes.items()]
    if args.output is not None:
        if not out.label:
            out.label = "f"
        save_graph(out, args.output, rankdir=args.rankdir, show_grad=not args.no_grad)
    width = max(len(name) for name, _ in rows)
    for name, number in rows:
        say(f"{name:<{width}}  {number:.10g}", sys.stdout)
    if args.output is not None:
        say(f"wrote {args.output}", sys.stdout)


def say(line: str, stream: TextIO) -> None:
    """Print one line so that it cannot fail or act on the terminal: unprintable characters as
    their escapes (`view.printable`), and a character the stream cannot encode (a Greek path on
    an ASCII console) as a backslash escape. The file is written before the report: a report
    that failed to print would turn a success into an error."""
    text = printable(line)
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text = text.encode(encoding, "backslashreplace").decode(encoding)
    except LookupError:  # an encoding Python does not know: plain ASCII is safe anywhere
        text = text.encode("ascii", "backslashreplace").decode("ascii")
    print(text, file=stream)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with `argv` (default: sys.argv[1:]); return the exit status."""
    try:
        args = _parser().parse_args(_expression_first(sys.argv[1:] if argv is None else argv))
        _graph(args)
    except SystemExit as exit:  # --help
        return int(exit.code or 0)
    except (
        UsageError,
        ArithmeticError,
        ValueError,
        OSError,
        RuntimeError,
        MissingGraphviz,
    ) as error:
        message = " ".join(str(error).split())
        say(f"{PROG}: error: {message}", sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
