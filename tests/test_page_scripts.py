"""The page's scripts (micrograd_like/page/*.js) are ES modules that share nothing but what they
import: each name a script uses from another is imported, the imports run one way (no cycle),
no script wires itself into another when it is loaded, and the two hosts' entries reach them
all. `bundle` (one module script for a page opened from file://) refuses what would make the
bundle differ from the modules; in Chromium the modules also run unbundled, served as files,
and the widget's module runs where anywidget puts it (a blob URL)."""

from __future__ import annotations

import functools
import http.server
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from demos.network_page import seed_network
from micrograd_like.engine import Value
from micrograd_like.latex import katex_script
from micrograd_like.page import asset, backprop_data, bundle, save_backprop_html, script, scripts
from tests.chromium import chromium

SCRIPTS = scripts()
ENTRIES = {"standalone.js", "widget.js"}  # the standalone page's and the notebook widget's
# the model view's module (model_view.py): it runs nothing when loaded; its page's own inline
# script mounts it, and so does its notebook widget's entry, model_widget.js
OWN_PAGES = {"model.js"}
MODEL_ENTRY = "model_widget.js"

# ---- reading a script: its import lines, its top-level names, the names its code uses

IMPORT = re.compile(r'^import \{(?P<names>[^}]*)\} from "\./(?P<module>[^"]+)";$', re.M)
TOP_LEVEL = re.compile(r"^(?:export )?(?:function|const|let|var|class) (?P<name>[\w$]+)", re.M)
EXPORTED = re.compile(r"^export (?:function|const|let|var|class) (?P<name>[\w$]+)", re.M)
# comments, strings and template literals (skipped), then names: a name right after a single
# "." is a property, not a variable (`...name` is a spread of the variable)
CODE = re.compile(
    r"//[^\n]*|/\*.*?\*/"
    r"|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`"
    r"|(?P<dots>\.*)(?P<name>[A-Za-z_$][\w$]*)",
    re.S,
)


def imports(name: str) -> dict[str, set[str]]:
    """The scripts `name` imports from, each with the names it imports."""
    found: dict[str, set[str]] = {}
    for line in IMPORT.finditer(SCRIPTS[name]):
        found.setdefault(line["module"], set()).update(
            each.strip() for each in line["names"].split(",")
        )
    return found


def top_level(name: str) -> set[str]:
    return set(TOP_LEVEL.findall(SCRIPTS[name]))


def names_used(name: str) -> set[str]:
    """Every variable name the code of `name` mentions, outside its import lines."""
    code = IMPORT.sub("", SCRIPTS[name])
    return {
        match["name"] for match in CODE.finditer(code) if match["name"] and match["dots"] != "."
    }


def test_every_script_is_a_module_of_import_lines_of_one_form() -> None:
    assert set(SCRIPTS) == {
        "forward.js",
        "page.js",
        "network.js",
        "backprop.js",
        *ENTRIES,
        *OWN_PAGES,
        MODEL_ENTRY,
    }
    for name, text in SCRIPTS.items():
        assert "use strict" not in text, name  # a module is strict already
        statements = re.findall(r"^import\b.*$", text, re.M)
        assert statements == [line[0] for line in IMPORT.finditer(text)], name
        assert re.search(r"\bimport\s*\(|\brequire\s*\(", text) is None, name


def test_every_name_a_script_uses_from_another_is_imported() -> None:
    for name in SCRIPTS:
        imported = set().union(*imports(name).values())
        for other in SCRIPTS.keys() - {name}:
            unimported = (names_used(name) & top_level(other)) - imported
            assert unimported == set(), (
                f"page/{name} names {sorted(unimported)}, top-level in page/{other}, without "
                "importing them: a module sees only what it imports (and a top-level name of "
                "one script is no name for a local variable of another: the bundle shares one "
                "scope)"
            )


def test_every_import_names_a_script_and_what_it_exports() -> None:
    for name in SCRIPTS:
        for module, names in imports(name).items():
            assert module in SCRIPTS, (name, module)
            assert names <= set(EXPORTED.findall(SCRIPTS[module])), (name, module, names)
            assert names <= names_used(name), (name, "imports a name it does not use")


def test_no_script_shares_anything_through_globals() -> None:
    assignment = re.compile(r"\b(?:window|self|document)(?:\.[\w$]+|\[[^\]]*\])+\s*=(?![=>])")
    for name, text in SCRIPTS.items():
        # the one thing they take from outside: the KaTeX that latex.katex_script() publishes
        # before them, read by page.js's typeset() alone, never written
        outside = re.findall(r"\bglobalThis\b[\w$.]*", text)
        assert outside == (["globalThis.micrograd_like_katex"] if name == "page.js" else []), name
        assert assignment.findall(text) == [], name


def test_the_imports_run_one_way() -> None:
    graph = {name: set(imports(name)) for name in SCRIPTS}
    order: list[str] = []  # Kahn: take a script once everything it imports is taken
    while len(order) < len(graph):
        ready = sorted(name for name in graph.keys() - set(order) if graph[name] <= set(order))
        assert ready, f"an import cycle among {sorted(graph.keys() - set(order))}"
        order += ready
    assert order == [
        "forward.js",
        "model.js",
        "model_widget.js",
        "page.js",
        "network.js",
        "backprop.js",
        "standalone.js",
        "widget.js",
    ]


def test_the_two_entries_are_imported_by_none_and_reach_every_script() -> None:
    imported = {module for name in SCRIPTS for module in imports(name)}
    assert SCRIPTS.keys() - imported == ENTRIES | {MODEL_ENTRY}
    for entry in [*ENTRIES, MODEL_ENTRY]:
        reached, todo = set(), [entry]
        while todo:
            name = todo.pop()
            if name not in reached:
                reached.add(name)
                todo += imports(name)
        if entry == MODEL_ENTRY:
            assert reached == {MODEL_ENTRY, *OWN_PAGES}
        else:
            expected = SCRIPTS.keys() - OWN_PAGES - {MODEL_ENTRY} - (ENTRIES - {entry})
            assert reached == expected, entry


def test_no_script_but_an_entry_runs_code_when_it_is_loaded() -> None:
    declaration = re.compile(
        r"(?:export )?(?:function [\w$]+\(|class [\w$]+ |const [\w$]+ = (?:\"[^\"]*\"|[\d.]+);$)"
    )
    for name in SCRIPTS.keys() - ENTRIES - {MODEL_ENTRY}:
        for line in SCRIPTS[name].splitlines():
            # what starts at column 0: comments, imports, declarations, the closing braces
            if line and not line[0].isspace() and not line.startswith(("//", "import {", "}")):
                assert declaration.match(line), (name, line)


# ---- the bundle


def test_the_bundle_is_the_scripts_in_import_order_without_their_import_lines() -> None:
    for entry in ENTRIES:
        bundled = script(entry)
        assert bundled == "\n".join(
            re.sub(r"^import .*\n", "", SCRIPTS[name], flags=re.M)
            for name in ["forward.js", "page.js", "network.js", "backprop.js", entry]
        )
        # forward.js imports nothing, and page.js, which the others build on, imports it
        assert bundled.startswith(asset("forward.js"))
        assert "import {" not in bundled


def refusal(sources: dict[str, str], entry: str = "main.js") -> str:
    with pytest.raises(ValueError) as error:
        bundle(entry, sources)
    return str(error.value)


def test_the_bundle_refuses_an_import_cycle_naming_it() -> None:
    message = refusal(
        {
            "main.js": 'import {a} from "./a.js";\na();\n',
            "a.js": 'import {b} from "./b.js";\nexport function a() { b(); }\n',
            "b.js": 'import {a} from "./a.js";\nexport function b() { a(); }\n',
        }
    )
    assert message == "the page's scripts import each other in a cycle: a.js -> b.js -> a.js"


def test_the_bundle_refuses_a_name_not_exported_or_a_file_not_there() -> None:
    private = {"main.js": 'import {a} from "./a.js";\na();\n', "a.js": "function a() {}\n"}
    assert refusal(private) == "page/main.js imports a from ./a.js, which does not export it"
    missing = refusal({"main.js": 'import {a} from "./gone.js";\n'})
    assert missing.startswith("page/main.js imports from ./gone.js, which is not one of the")
    assert refusal({"a.js": ""}, "gone.js") == "no script 'gone.js' in page/; there are a.js"


def test_the_bundle_refuses_a_top_level_name_declared_in_two_scripts() -> None:
    message = refusal(
        {
            "main.js": 'import {a} from "./a.js";\nconst SIZE = 2;\na(SIZE);\n',
            "a.js": "const SIZE = 1;\nexport function a(n) { return n * SIZE; }\n",
        }
    )
    assert message == (
        "SIZE is declared at the top level of both page/a.js and page/main.js: in the bundle "
        "they share one scope"
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('import a from "./a.js";', 'imports must read `import {a, b} from "./file.js";`'),
        ('import {a as b} from "./a.js";', "imports must read"),
        ('import * as a from "./a.js";', "imports must read"),
        ("export {a};", "export function, const or class only"),
        ("export default {};", "export function, const or class only"),
    ],
)
def test_the_bundle_refuses_other_forms_of_import_and_export(line: str, message: str) -> None:
    sources = {"main.js": 'import {a} from "./a.js";\n', "a.js": f"function a() {{}}\n{line}\n"}
    assert refusal(sources).startswith(f"page/a.js, line 2: {message}")


# ---- in Chromium


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    with chromium(tmp_path_factory.mktemp("chromium"), window=(1280, 1000)) as driver:
        yield driver


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP on 127.0.0.1 (a module file loads another only over HTTP),
    and its URL."""
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "favicon.ico").write_bytes(b"")  # asked for by every page: no 404 in the log
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def errors(driver: WebDriver) -> list[str]:
    log = driver.get_log("browser")  # type: ignore[attr-defined]  # Chromium's, not WebDriver's
    return [str(entry["message"]) for entry in log]


def one_neuron() -> Value:
    weight = Value(0.8, "W")
    cost = ((weight * Value(1.5, "a_prev") + Value(0.1, "b")).sigmoid() - Value(0.5, "y")) ** 2
    cost.label = "C"
    return cost


def test_the_scripts_run_unbundled_as_separate_modules(
    browser: WebDriver, served: tuple[Path, str]
) -> None:
    folder, url = served
    for name, text in SCRIPTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    for page_name, cost in [("scalar.html", one_neuron()), ("network.html", seed_network()[1])]:
        text = save_backprop_html(cost, folder / page_name).read_text(encoding="utf-8")
        assert text.count(script("standalone.js")) == 1
        text = text.replace(script("standalone.js"), 'import "./standalone.js";')
        (folder / page_name).write_text(text, encoding="utf-8")
    errors(browser)  # the log so far, read and dropped

    browser.get(f"{url}/scalar.html")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.END)
    status = browser.find_element(By.CSS_SELECTOR, "#backprop .status").text
    assert status == "Step 9 of 9: y (a leaf)"
    assert browser.find_elements(By.CSS_SELECTOR, "#backprop .graph-tools button")  # page.js's

    browser.get(f"{url}/network.html")
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)
    status = browser.find_element(By.CSS_SELECTOR, ".pane-network .status").text
    assert status == "Step 1 of 6: layer 2, neuron 1"  # network.js, mounted by backprop.js
    browser.find_element(By.CSS_SELECTOR, "g.neuron").click()  # its own graph: page.js's view
    assert browser.find_elements(By.CSS_SELECTOR, ".neuron-graph .graph svg")
    browser.find_element(By.CSS_SELECTOR, "button.tab-scalar").click()
    status = browser.find_element(By.CSS_SELECTOR, ".pane-scalar .status").text
    assert status.startswith("Forward pass: values only")
    assert errors(browser) == []


# the widget's module loaded as anywidget loads it, from a blob URL, and rendered on a model
# whose `data` is the JSON the Python side syncs; None, or the error
RENDER_WIDGET = """
const [esm, data, done] = arguments;
const url = URL.createObjectURL(new Blob([esm], {type: "text/javascript"}));
import(url).then((module) => {
  const el = document.createElement("div");
  document.body.appendChild(el);
  module.default.render({model: {get: (key) => key === "data" ? data : null}, el: el});
  done(null);
}, (error) => done(String(error)));
"""


def render_widget(browser: WebDriver, served: tuple[Path, str], data: dict[str, Any]) -> None:
    """The widget's module, KaTeX first, as BackpropWidget._esm is (test_notebook_widget.py),
    rendered on `data`."""
    folder, url = served
    (folder / "notebook.html").write_text("<!DOCTYPE html><body></body>", encoding="utf-8")
    browser.get(f"{url}/notebook.html")
    errors(browser)
    module = katex_script() + script("widget.js")
    failure = browser.execute_async_script(RENDER_WIDGET, module, json.dumps(data))
    assert failure is None


def test_the_widget_module_renders_where_anywidget_loads_it(
    browser: WebDriver, served: tuple[Path, str]
) -> None:
    render_widget(browser, served, backprop_data(one_neuron()))
    next_button = browser.find_element(By.CSS_SELECTOR, ".backprop button.next")
    next_button.click()
    status = browser.find_element(By.CSS_SELECTOR, ".backprop .status").text
    assert status == "Step 1 of 9: C (**2)"
    assert errors(browser) == []


def test_the_widget_opens_with_its_quiz_on_when_its_data_says_so(
    browser: WebDriver, served: tuple[Path, str]
) -> None:
    """The widget's data is backprop_data(root, quiz=...), as BackpropWidget(root, quiz=True)
    makes it: mountBackprop starts the quiz from it, with nothing more in widget.js."""
    render_widget(browser, served, backprop_data(one_neuron(), quiz=True))
    assert browser.find_element(By.CSS_SELECTOR, ".backprop .quiz-switch").text == "Quiz: on"
    browser.find_element(By.CSS_SELECTOR, ".backprop button.next").click()
    field = browser.switch_to.active_element
    assert field.get_attribute("class") == "quiz-answer"
    assert browser.find_element(By.CSS_SELECTOR, ".backprop td.grad[data-node='n7']").text == ""
    field.send_keys("0.5717", Keys.ENTER)  # dC/dsub7, the one share of the first step
    assert browser.find_element(By.CSS_SELECTOR, ".backprop td.grad[data-node='n7']").text == (
        "0.5717"
    )
    score = browser.find_element(By.CSS_SELECTOR, ".backprop .quiz-score").text
    assert score == "Score: 1 right of 1 · 1 at the first try · 0 revealed"
    assert errors(browser) == []


def test_the_widget_typesets_its_formulas_with_the_katex_its_module_starts_with(
    browser: WebDriver, served: tuple[Path, str]
) -> None:
    data = backprop_data(one_neuron())
    render_widget(browser, served, data)
    for _ in range(3):
        browser.find_element(By.CSS_SELECTOR, ".backprop button.next").click()
    typeset = browser.execute_script(
        "return [...document.querySelectorAll('.backprop .lines-math > .typeset')].map("
        "(row) => [row.dataset.tex, row.dataset.texDone === row.dataset.tex, "
        "row.querySelector('.katex math') !== null]);"
    )
    assert typeset == [[line["tex"], True, True] for line in data["steps"][2]["lines"]]
    text = browser.find_element(By.CSS_SELECTOR, ".backprop pre.lines").text
    assert text == data["steps"][2]["text"]  # and beneath, as the program prints it
    assert errors(browser) == []


@pytest.mark.parametrize("typed", ["constructor", "__proto__"])
def test_the_search_box_takes_a_name_of_an_objects_own_properties_as_text(
    browser: WebDriver, tmp_path: Path, typed: str
) -> None:
    # the names are looked up in a Map: what is typed is a key, never a property of an object
    browser.get(save_backprop_html(one_neuron(), tmp_path / "page.html").as_uri())
    errors(browser)
    search = browser.find_element(By.CSS_SELECTOR, "#backprop input.search")
    search.send_keys(typed, Keys.ENTER)
    found = browser.find_element(By.CSS_SELECTOR, "#backprop .found").text
    assert (found, errors(browser)) == (f"no node called {typed}", [])
    search.clear()
    search.send_keys("a_prev", Keys.ENTER)  # a name of the graph is still found
    found = browser.find_element(By.CSS_SELECTOR, "#backprop .found").text
    assert found == "a_prev (input, data 1.5)"
