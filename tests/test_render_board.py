"""The leaderboard's renderers (trainer/render_board.py): what each format shows, that a
candidate's text stays inert in each, and that nothing depends on sharding or timing.

Boards are built directly from Cells and GradeReports (no grading run) and
rendered by the real renderers; the HTML page's sorting script runs in node
when node is installed.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from rich.cells import cell_len
from rich.console import Console

from tests.helpers import make_report
from tests.test_render_safety import COMMANDS, markdown_tokens, runs_as_ci_command, table_rows
from trainer import render_board
from trainer.leaderboard import DEFAULT_POINTS, FORMULA, NO_SUBMISSION, REFUSED, Cell, Leaderboard, merge
from trainer.render import CI_COMMAND_MARK
from trainer.report import GradeReport, Issue, Measurement, inert
from trainer.report import TestResult as _TestResult  # (a name pytest does not collect)

CHALLENGES = ["kmeans", "pca"]
POINTS = {c: dict(DEFAULT_POINTS) for c in CHALLENGES}


def a_test(name: str, category: str, outcome: str = "passed", message: str = "", *, bonus: bool = False,
           function: str = "test_x", ratio: float | None = None) -> _TestResult:
    measurements = [] if ratio is None else [Measurement("time", "n=100", 0.02 * ratio, 0.02, "s", ratio, 3.0,
                                                         ratio <= 3.0)]
    return _TestResult(nodeid=f"graders/x.py::{function}", name=name, category=category, outcome=outcome,
                      message=message, bonus=bonus, duration_s=0.25, measurements=measurements)


def a_report(challenge: str, tests: list, *, status: str | None = None, **fields) -> GradeReport:
    if status is None:
        status = "passed" if all(t.passed or t.bonus for t in tests) else "failed"
    base = {"challenge_id": challenge, "solution_path": f"/w/{challenge}.py", "source_sha256": "0" * 64,
            "started_at": "2026-03-01T10:00:00+00:00", "duration_s": 2.0, "status": status, "tests": tests,
            "isolation": "landlock v7 + seccomp"}
    return GradeReport(**{**base, **fields})


def graded(member: str, challenge: str, report: GradeReport) -> Cell:
    return Cell.graded(member, challenge, f"{member}/{challenge}.py", report, POINTS[challenge])


def sample_cells() -> list[Cell]:
    """Every kind of cell: passed, failed (with a failed bonus), rejected, error, no submission, refused."""
    return [
        graded("alice", "kmeans", make_report("kmeans", passed=True, ratio=1.2)),
        graded("alice", "pca", make_report("pca", passed=False, ratio=0.5)),
        graded("bob", "kmeans", a_report("kmeans", [
            a_test("Finds the clusters", "correctness", "failed", "fit(X) returned 2 clusters, expected 3",
                   function="test_clusters"),
            a_test("Handles k = 1", "edge_case"),
            a_test("Stable on duplicates", "stability"),
            a_test("Bonus: kmeans++", "correctness", "failed", "no", bonus=True)])),
        graded("bob", "pca", a_report("pca", [], status="rejected",
                                      static_issues=[Issue("/w/pca.py", 4, 1, "importing 'sklearn' is not allowed")])),
        graded("carol", "kmeans", a_report("kmeans", [a_test("Finds the clusters", "correctness")], status="error",
                                           error="the worker died\nmore detail")),
        Cell("carol", "pca", NO_SUBMISSION, note="did you mean pca.py? (found Pca.py)"),
        Cell("dave", "kmeans", REFUSED, file="dave/kmeans.py", note="a symlink that points outside dave/"),
        Cell("dave", "pca", NO_SUBMISSION),
    ]


def board_of(cells: list[Cell], members=("alice", "bob", "carol", "dave"), challenges=CHALLENGES,
             shard=None, points=None) -> Leaderboard:
    board = Leaderboard(list(members), list(challenges), copy.deepcopy(points or POINTS), shard=shard)
    for cell in cells:
        board.cells[(cell.member, cell.challenge_id)] = cell
    return board


def text_of(board: Leaderboard, width: int = 100, **console) -> str:
    out = io.StringIO()
    render_board.to_text(board, Console(file=out, width=width, **console))
    return out.getvalue()


FORMATS = {
    "text": text_of,
    "markdown": render_board.to_markdown,
    "html": render_board.to_html,
    "junit": render_board.to_junit,
    "json": render_board.to_json,
    "annotations": lambda board: "\n".join(render_board.github_annotations(board, Path("roster"))),
}


# ---------------------------------------------------------------- the cells

@pytest.mark.parametrize("cell, shown", [
    (graded("a", "kmeans", make_report("kmeans", passed=True, ratio=1.2)), "✓ 3/3 · 1.2x"),
    (graded("a", "kmeans", make_report("kmeans", passed=False, ratio=None)), "✗ 2/3"),
    (graded("a", "kmeans", make_report("kmeans", passed=True, ratio=0.5)), "✓ 3/3 · 0.50x"),
    (graded("a", "pca", a_report("pca", [], status="rejected")), "✗ rejected"),
    (graded("a", "pca", a_report("pca", [a_test("t", "correctness")], status="error")), "! error 1/1"),
    (graded("a", "pca", a_report("pca", [], status="error")), "! error"),
    (Cell("a", "pca", NO_SUBMISSION), "– no submission"),
    (Cell("a", "pca", REFUSED), "✗ refused"),
    (None, render_board.NOT_GRADED),
])
def test_a_cell_shows_verdict_tests_and_speed(cell, shown):
    assert render_board.cell_summary(cell) == shown


# --------------------------------------------------------------------- text

def test_text_shows_the_grid_then_the_standings_then_the_formula():
    board = board_of(sample_cells())
    text = text_of(board, width=200)
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:-1]]
            for line in text.splitlines() if line.count("│") == 5}
    assert rows["alice"] == ["✓ 3/3 · 1.2x", "✗ 2/3 · 0.50x", "8"]
    assert rows["bob"] == ["✗ 2/3", "✗ rejected", "2"]
    assert rows["carol"] == ["! error 1/1", "– no submission", "2"]
    assert rows["dave"] == ["✗ refused", "– no submission", "0"]
    standings = [[c.strip() for c in line.split("│")[1:-1]] for line in text.splitlines() if line.count("│") == 4]
    assert standings[1:] == [["1", "alice", "8"], ["2", "bob", "2"], ["2", "carol", "2"], ["4", "dave", "0"]]
    flat = " ".join(text.split())
    assert flat.index("rank") < flat.index(FORMULA)
    assert "carol/pca: did you mean pca.py? (found Pca.py)" in flat
    assert "dave/kmeans: a symlink that points outside dave/" in flat


MARKUP = "[bold]b[/bold] [link=https://evil.example]l[/link] :smile: [@click=app.quit]q[/]"


def test_text_prints_candidate_markup_and_emoji_codes_as_they_are():
    cells = [Cell(MARKUP, "kmeans", NO_SUBMISSION, note=MARKUP)]
    board = board_of(cells, members=[MARKUP])
    text = text_of(board, width=300, force_terminal=True, color_system="truecolor")
    assert text.count(MARKUP) == 4        # the grid, the standings, the note's member and text
    assert "😄" not in text and "\x1b]8;" not in text


@pytest.mark.parametrize("width", [24, 50, 120])
@pytest.mark.parametrize("command", COMMANDS)
def test_text_prints_no_ci_command_however_the_table_wraps(command, width):
    member = f"m {command} " + "x" * 20 + command.strip()
    cells = [Cell(member, "kmeans", REFUSED, file=command, note=f"first\n{command}")]
    text = text_of(board_of(cells, members=[member, command]), width=width)
    assert not [line for line in text.splitlines() if runs_as_ci_command(line)]


def test_each_printed_line_of_a_table_is_checked_for_ci_commands():
    # The cells are marked before the layout; this is the check after it, line by line as printed.
    from rich.table import Table
    from rich.text import Text
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column()
    table.add_row(Text("::error::x\n  ::add-mask::y  and ##vso[task.complete]", style="red"))
    out = io.StringIO()
    render_board._print_safe(Console(file=out, width=20), table)
    lines = out.getvalue().splitlines()
    assert lines and not [line for line in lines if runs_as_ci_command(line)]
    assert out.getvalue().count(CI_COMMAND_MARK) == 3
    assert "".join(lines).replace(CI_COMMAND_MARK, "").replace(" ", "") == "::error::x::add-mask::yand##vso[task.complete]"


def test_text_keeps_the_table_aligned_when_it_marks_a_command():
    member = "##[group]bob"
    text = text_of(board_of([Cell(member, "kmeans", NO_SUBMISSION)], members=["alice", member]), width=100)
    table = [line for line in text.splitlines() if line[:1] in "┌│├└"]
    assert f"#{CI_COMMAND_MARK}#[group]bob" in text
    assert len({cell_len(line) for line in table}) == 2   # the grid's width and the standings'


# ----------------------------------------------------------------- Markdown

HOSTILE_MD = ("[link](https://evil.example/x) ![image](https://evil.example/i.png) <img src=x onerror=alert(1)> "
              "@octocat *emphasis* :smile: | cell ``tick`` \n# heading")


def test_markdown_has_the_grid_the_standings_and_the_formula():
    md = render_board.to_markdown(board_of(sample_cells()))
    tokens = markdown_tokens(md)
    header, *rows = table_rows(tokens)
    assert [c.content for c in header] == ["member", "`kmeans`", "`pca`", "points"]
    assert [[c.content for c in row] for row in rows] == [
        ["`alice`", "✓ 3/3 · 1.2x", "✗ 2/3 · 0.50x", "8"],
        ["`bob`", "✗ 2/3", "✗ rejected", "2"],
        ["`carol`", "! error 1/1", "– no submission", "2"],
        ["`dave`", "✗ refused", "– no submission", "0"],
    ]
    assert md.index("### Standings") < md.index(FORMULA)
    assert "| 2 | `bob` | 2 |\n| 2 | `carol` | 2 |\n| 4 | `dave` | 0 |" in md


def test_markdown_has_candidate_text_only_inside_code_spans():
    cells = [Cell(HOSTILE_MD, "kmeans", REFUSED, file=HOSTILE_MD, note=HOSTILE_MD)]
    md = render_board.to_markdown(board_of(cells, members=[HOSTILE_MD, "alice"]))
    tokens = markdown_tokens(md)
    assert not [t.type for t in tokens if t.type in ("link_open", "image", "html_inline", "html_block", "em_open")]
    outside = " ".join(t.content for t in tokens if t.type == "text")
    assert "evil.example" not in outside and "octocat" not in outside and ":smile:" not in outside
    assert sum("@octocat" in t.content for t in tokens if t.type == "code_inline") == 4   # grid, standings, note x2
    # No "# heading" became a heading (the board's own are "Standings" and "Notes"), no "|" split a cell.
    assert len([t for t in tokens if t.type == "heading_open"]) == 3
    assert {len(row) for row in table_rows(tokens)} == {4}


@pytest.mark.parametrize("command", COMMANDS)
def test_markdown_prints_no_ci_command(command):
    cells = [Cell(command, "kmeans", NO_SUBMISSION, note=f"x\n{command}")]
    md = render_board.to_markdown(board_of(cells, members=[command]))
    assert not [line for line in md.splitlines() if runs_as_ci_command(line)]


def test_step_summary_is_created_then_appended_to(tmp_path):
    board = board_of(sample_cells())
    summary = tmp_path / "summary.md"
    render_board.append_step_summary(board, summary)
    assert summary.read_text(encoding="utf-8") == render_board.to_markdown(board)
    summary.write_text("# Earlier step\n", encoding="utf-8")
    render_board.append_step_summary(board, summary)
    assert summary.read_text(encoding="utf-8") == "# Earlier step\n\n" + render_board.to_markdown(board)


# --------------------------------------------------------------------- HTML

class _Page(HTMLParser):
    """Every start tag with its attributes, the text of each element, and the sortable tables."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.stack: list[str] = []
        self.raw: dict[str, str] = {}        # style and script contents
        self.texts: list[str] = []
        self.tables: list[dict] = []
        self._cell: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        self.stack.append(tag)
        if tag == "table" and "sortable" in (attrs.get("class") or ""):
            self.tables.append({"id": attrs.get("id"), "headers": [], "rows": []})
        elif self.tables and tag == "tr" and "data-order" in attrs:
            self.tables[-1]["rows"].append({"attrs": attrs, "cells": []})
        elif self.tables and tag in ("th", "td"):
            self._cell = {"attrs": attrs, "text": "", "button": False}
            in_head = "thead" in self.stack and "tbody" not in self.stack
            target = self.tables[-1]["headers"] if in_head else self.tables[-1]["rows"][-1]["cells"]
            target.append(self._cell)
        elif tag == "button" and self._cell is not None:
            self._cell["button"] = True

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop() != tag:
            pass
        if tag in ("th", "td"):
            self._cell = None
        if tag == "table" and self.tables and "tbody" in self.tables[-1]:
            pass

    def handle_data(self, data):
        if self.stack and self.stack[-1] in ("style", "script"):
            self.raw[self.stack[-1]] = data
            return
        self.texts.append(data)
        if self._cell is not None:
            self._cell["text"] += data


def parse_page(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


HOSTILE_HTML = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "'><svg onload=alert(1)>",
                "</td></tr></table><iframe src=//evil.example>", "&lt;b&gt; &amp;"]


def hostile_board() -> Leaderboard:
    members = HOSTILE_HTML + ["alice"]
    cells = [Cell(m, "kmeans", REFUSED, file=m + "/kmeans.py", note=m) for m in HOSTILE_HTML]
    cells.append(graded("alice", "kmeans", a_report("kmeans", [
        a_test(HOSTILE_HTML[0], "correctness", "failed", "\n".join(HOSTILE_HTML))])))
    return board_of(cells, members=members, challenges=["kmeans"])


def test_html_shows_candidate_text_only_escaped():
    page = render_board.to_html(hostile_board())
    parsed = parse_page(page)
    allowed = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "table", "thead", "tbody", "tr",
               "th", "td", "button", "ul", "li", "code", "strong", "details", "summary", "pre", "script"}
    assert {tag for tag, _ in parsed.tags} <= allowed
    assert [tag for tag, _ in parsed.tags].count("script") == 1
    assert not [name for _, attrs in parsed.tags for name in attrs if name.startswith("on") or name in ("src", "href")]
    # Each hostile string is there as text, whole: escaped, not parsed.
    text = "".join(parsed.texts)
    for hostile in HOSTILE_HTML:
        assert text.count(hostile) >= 4, hostile     # grid, standings, note, failed test
    for raw in ("<script>alert", "<img", "<svg", "<iframe"):
        assert raw not in page


def test_html_is_self_contained_and_its_policy_allows_only_its_own_style_and_script():
    page = render_board.to_html(board_of(sample_cells()))
    parsed = parse_page(page)
    [policy] = [attrs["content"] for tag, attrs in parsed.tags
                if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"]

    def digest(source: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"

    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["style-src"] == digest(parsed.raw["style"])
    assert directives["script-src"] == digest(parsed.raw["script"])
    assert not re.search(r"https?:|//[a-z]|url\(|@import", parsed.raw["style"] + parsed.raw["script"])
    assert not [attrs for _, attrs in parsed.tags if "src" in attrs or "href" in attrs or "style" in attrs]


def test_html_shows_the_grid_the_standings_and_the_formula():
    page = render_board.to_html(board_of(sample_cells()))
    parsed = parse_page(page)
    grid, standings = parsed.tables
    assert [h["text"] for h in grid["headers"]] == ["member", "kmeans", "pca", "points", "rank"]
    assert [[c["text"] for c in row["cells"]] for row in grid["rows"]][:2] == [
        ["alice", "✓ 3/3 · 1.2x", "✗ 2/3 · 0.50x", "8", "1"], ["bob", "✗ 2/3", "✗ rejected", "2", "2"]]
    assert [[c["text"] for c in row["cells"]] for row in standings["rows"]] == [
        ["1", "alice", "8"], ["2", "bob", "2"], ["2", "carol", "2"], ["4", "dave", "0"]]
    assert FORMULA.replace("'", "&#x27;") in page
    assert page.index('id="standings"') < page.index("test&#x27;s category")


@pytest.mark.parametrize("command", COMMANDS)
def test_html_prints_no_ci_command(command):
    cells = [Cell(command, "kmeans", NO_SUBMISSION, note=f"x\n{command}"),
             graded("alice", "kmeans", a_report("kmeans", [a_test("t", "correctness", "failed", f"a\n{command}")]))]
    page = render_board.to_html(board_of(cells, members=[command, "alice"], challenges=["kmeans"]))
    assert not [line for line in page.splitlines() if runs_as_ci_command(line)]
    parsed = parse_page(page)
    assert inert(command) in "".join(parsed.texts)   # the (inert) text is unchanged, only spelled differently


# A DOM just large enough for the page's script: tables, header buttons, rows, cells, attributes.
_DOM = r"""
const data = JSON.parse(require("fs").readFileSync(0, "utf8"));
function element(attrs, text) {
  return {attrs: Object.assign({}, attrs), textContent: text,
          getAttribute(n) { return n in this.attrs ? this.attrs[n] : null; },
          setAttribute(n, v) { this.attrs[n] = String(v); },
          removeAttribute(n) { delete this.attrs[n]; }};
}
const tables = data.tables.map(function (t) {
  const headers = t.headers.map(function (h) {
    const th = element(h.attrs, h.text);
    th.button = h.button ? {listeners: [], addEventListener(type, f) { this.listeners.push(f); }} : null;
    th.querySelector = function () { return th.button; };
    return th;
  });
  const body = {rows: [], appendChild(row) {
    const i = this.rows.indexOf(row); if (i >= 0) { this.rows.splice(i, 1); } this.rows.push(row); }};
  t.rows.forEach(function (r) {
    const row = element(r.attrs, "");
    row.cells = r.cells.map(function (c) { return element(c.attrs, c.text); });
    body.rows.push(row);
  });
  return {id: t.id, tHead: {rows: [{cells: headers}]}, tBodies: [body], headers: headers};
});
global.document = {querySelectorAll: function () { return tables; }};
eval(data.script);
const orders = data.clicks.map(function (click) {
  const table = tables.find(function (t) { return t.id === click[0]; });
  table.headers[click[1]].button.listeners.forEach(function (f) { f(); });
  return table.tBodies[0].rows.map(function (row) { return row.cells[click[2]].textContent; });
});
process.stdout.write(JSON.stringify(orders));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_html_table_sorts_by_the_clicked_column():
    cells = sample_cells() + [graded("erin", "kmeans", make_report("kmeans", passed=True, ratio=0.9)),
                              graded("erin", "pca", make_report("pca", passed=True, ratio=2.5))]
    board = board_of(cells, members=["alice", "bob", "carol", "dave", "erin", "Zed"])
    parsed = parse_page(render_board.to_html(board))
    clicks = [("leaderboard", 1, 0), ("leaderboard", 1, 0), ("leaderboard", 3, 0), ("leaderboard", 0, 0),
              ("leaderboard", 0, 0), ("leaderboard", 4, 0), ("leaderboard", 2, 0), ("standings", 2, 1)]
    data = {"tables": parsed.tables, "script": parsed.raw["script"], "clicks": clicks}
    run = subprocess.run(["node", "-e", _DOM], input=json.dumps(data), capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    orders = json.loads(run.stdout)
    # kmeans, best first: most points, then the faster of equal points (erin 0.9x before alice 1.2x);
    # cells of equal keys keep the board's order.
    assert orders[0] == ["erin", "alice", "bob", "carol", "dave", "Zed"]
    assert orders[1] == ["Zed", "dave", "carol", "bob", "alice", "erin"]               # reversed
    assert orders[2] == ["erin", "alice", "bob", "carol", "dave", "Zed"]               # points: 13, 8, 2, 2, 0, 0
    assert orders[3] == ["alice", "bob", "carol", "dave", "erin", "Zed"]               # names, case-blind
    assert orders[4] == ["Zed", "erin", "dave", "carol", "bob", "alice"]
    assert orders[5] == ["erin", "alice", "bob", "carol", "dave", "Zed"]               # rank, 1 first
    assert orders[6][:2] == ["erin", "alice"]                                           # pca: 5 points before 3
    assert orders[7] == ["erin", "alice", "bob", "carol", "Zed", "dave"]               # standings' own order for ties


# -------------------------------------------------------------------- JUnit

def suites_of(board: Leaderboard) -> dict[str, ET.Element]:
    root = ET.fromstring(render_board.to_junit(board).encode("utf-8"))
    return {suite.get("name"): suite for suite in root.iter("testsuite")}


def test_junit_has_a_suite_per_member_and_challenge_and_a_case_per_test():
    suites = suites_of(board_of(sample_cells()))
    assert list(suites) == ["alice/kmeans", "alice/pca", "bob/kmeans", "bob/pca", "carol/kmeans", "carol/pca",
                            "dave/kmeans", "dave/pca"]
    cases = suites["alice/kmeans"].findall("testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        ("correctness", "Finds the clusters"), ("edge_case", "Handles k = 1"),
        ("performance", "Within the time budget")]
    properties = {p.get("name"): p.get("value") for p in suites["alice/kmeans"].find("properties")}
    assert properties == {"solution": "alice/kmeans.py", "isolation": "", "member": "alice", "challenge": "kmeans",
                          "verdict": "passed", "points": "5"}


@pytest.mark.parametrize("suite, counts", [
    ("alice/kmeans", ("3", "0", "0", "0")),
    ("alice/pca", ("3", "1", "0", "0")),
    ("bob/kmeans", ("4", "1", "0", "1")),       # a failed bonus test is skipped, as in a report's JUnit
    ("bob/pca", ("1", "1", "0", "0")),          # rejected: one failing "static checks" case
    ("carol/kmeans", ("2", "0", "1", "0")),     # error: one erroring "grading" case beside the tests
    ("carol/pca", ("1", "0", "0", "1")),        # no submission: skipped
    ("dave/kmeans", ("1", "1", "0", "0")),      # refused: failed, as a rejected file
])
def test_junit_counts_are_the_elements_written(suite, counts):
    suites = suites_of(board_of(sample_cells()))
    element = suites[suite]
    cases = element.findall("testcase")
    assert (element.get("tests"), element.get("failures"), element.get("errors"), element.get("skipped")) == counts
    assert int(element.get("tests")) == len(cases)
    for tag, attribute in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
        assert int(element.get(attribute)) == sum(case.find(tag) is not None for case in cases), attribute


def test_junit_totals_are_the_sums_of_the_suites():
    root = ET.fromstring(render_board.to_junit(board_of(sample_cells())))
    for attribute in ("tests", "failures", "errors", "skipped"):
        assert int(root.get(attribute)) == sum(int(s.get(attribute)) for s in root.iter("testsuite"))


def test_junit_cells_without_a_graded_file_are_one_submission_case():
    suites = suites_of(board_of(sample_cells()))
    [missing] = suites["carol/pca"].findall("testcase")
    assert (missing.get("classname"), missing.get("name")) == ("submission", "submission")
    assert missing.find("skipped").get("message") == "no submission: did you mean pca.py? (found Pca.py)"
    [refused] = suites["dave/kmeans"].findall("testcase")
    assert refused.find("failure").get("message") == "refused: a symlink that points outside dave/"
    [rejected] = suites["bob/pca"].findall("testcase")
    assert (rejected.get("classname"), rejected.get("name")) == ("submission", "static checks")


def test_junit_holds_no_timing():
    xml = render_board.to_junit(board_of(sample_cells()))
    root = ET.fromstring(xml)
    assert not [e.tag for e in root.iter() if "time" in e.attrib or "timestamp" in e.attrib]


def test_junit_is_well_formed_whatever_the_names():
    nasty = "a\x00\x1b[31m\ud800\ufffe <tag attr=\"x\"> & ]]> ::error::x ##[group]"
    cells = [Cell(nasty, "kmeans", REFUSED, file=nasty, note=nasty),
             graded("alice", "kmeans", a_report("kmeans", [a_test(nasty, "correctness", "failed", nasty)]))]
    xml = render_board.to_junit(board_of(cells, members=[nasty, "alice"], challenges=["kmeans"]))
    root = ET.fromstring(xml.encode("utf-8"))
    names = [s.get("name") for s in root.iter("testsuite")]
    assert names[0] == 'a[31m <tag attr="x"> & ]]> ::error::x ##[group]/kmeans'
    assert not [line for line in xml.splitlines() if runs_as_ci_command(line)]


# --------------------------------------------------------------------- JSON

def test_json_is_the_board_and_reads_back():
    board = board_of(sample_cells(), shard=(2, 3))
    text = render_board.to_json(board)
    data = json.loads(text)
    assert data == json.loads(json.dumps(board.to_dict()))
    assert (data["format"], data["version"], data["shard"]) == ("mltrainer-leaderboard", 1, [2, 3])
    assert Leaderboard.from_dict(data) == board
    assert text.endswith("}\n") and text.isascii()
    assert list(data) == sorted(data)


def test_json_escapes_ci_commands_and_keeps_the_data():
    member = "##vso[task.setvariable variable=X]1"
    cells = [Cell(member, "kmeans", NO_SUBMISSION, note="::error::x\n  ::add-mask::y ##[group]g")]
    board = board_of(cells, members=[member], challenges=["kmeans"])
    text = render_board.to_json(board)
    assert not [line for line in text.splitlines() if runs_as_ci_command(line)]
    assert Leaderboard.from_dict(json.loads(text)) == board


# ------------------------------------------------------- GitHub annotations

def parse_workflow_command(line: str) -> tuple[str, dict, str]:
    """A `::name k=v,...::message` line read as the GitHub runner reads it (ActionCommand.TryParseV2)."""
    assert line.startswith("::") and "\n" not in line and "\r" not in line
    end = line.index("::", 2)
    info, message = line[2:end], line[end + 2:]
    name, _, props = info.partition(" ")
    properties = {}
    for pair in filter(None, props.split(",")):
        key, _, value = pair.partition("=")
        properties[key] = (value.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":")
                           .replace("%2C", ",").replace("%25", "%"))
    return name, properties, message.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


MEMBER_FILE = '''import numpy as np


def helper(x):
    return x


class KMeans:
    def __init__(self, k):
        self.k = k

    def fit(self, X):
        return self


def kmeans(X, k):
    return helper(X)
'''


def annotations_for(tmp_path: Path, tests: list, source: str | bytes | None = MEMBER_FILE, **report) -> list:
    roster = tmp_path / "roster"
    (roster / "alice").mkdir(parents=True, exist_ok=True)
    if source is not None:
        path = roster / "alice" / "kmeans.py"
        path.write_bytes(source if isinstance(source, bytes) else source.encode())
    board = board_of([graded("alice", "kmeans", a_report("kmeans", tests, **report))],
                     members=["alice"], challenges=["kmeans"])
    return [parse_workflow_command(line) for line in render_board.github_annotations(board, roster)]


@pytest.mark.parametrize("message, function, line", [
    ("kmeans(X, k=3) returned 2 clusters, expected 3", "test_x", 16),
    ("the input X after fit() was modified", "test_x", 12),
    ("KMeans(k=0) should raise ValueError", "test_x", 8),
    ("expected 3 clusters, got 2", "test_kmeans_empty_cluster", 16),     # from the test's function name
    ("expected 3 clusters, got 2", "test_other", 1),                     # nothing to go by
])
def test_annotation_points_at_the_function_under_test(tmp_path, message, function, line):
    [(name, properties, text)] = annotations_for(tmp_path, [
        a_test("Finds the clusters", "correctness", "failed", message, function=function),
        a_test("Handles k = 1", "edge_case")])
    assert name == "error"
    assert properties == {"file": str(tmp_path / "roster" / "alice" / "kmeans.py"), "line": str(line),
                          "title": "alice/kmeans: Finds the clusters"}
    assert text == f"Correctness: {message}"


def test_annotations_only_for_tests_that_fail_the_challenge(tmp_path):
    annotations = annotations_for(tmp_path, [
        a_test("a", "correctness", "failed", "kmeans( wrong"), a_test("b", "edge_case", "error", "harness broke"),
        a_test("c", "correctness", "failed", "bonus", bonus=True), a_test("d", "stability"),
        a_test("e", "performance", "skipped")])
    assert [props["title"] for _, props, _ in annotations] == ["alice/kmeans: a", "alice/kmeans: b"]


def test_annotations_for_a_rejected_file_and_a_grading_that_broke(tmp_path):
    rejected = annotations_for(tmp_path, [], status="rejected",
                               static_issues=[Issue("/w/kmeans.py", 3, 1, "importing 'sklearn' is not allowed")])
    assert [(p["line"], p["title"], m) for _, p, m in rejected] == [
        ("3", "alice/kmeans: rejected before running", "importing 'sklearn' is not allowed")]
    broke = annotations_for(tmp_path, [], status="error", error="the worker died")
    assert [(p["line"], m) for _, p, m in broke] == [("1", "the worker died")]


def test_annotations_none_for_cells_without_a_graded_file():
    board = board_of([Cell("carol", "pca", NO_SUBMISSION), Cell("dave", "kmeans", REFUSED, file="dave/kmeans.py")],
                     members=["carol", "dave"])
    assert render_board.github_annotations(board, Path("roster")) == []


@pytest.mark.parametrize("source", [
    b"def kmeans(:\n",                                          # a syntax error
    b"\xff\xfe not utf-8 \x80\n" + MEMBER_FILE.encode(),         # not UTF-8 where Python would not have it
    b"\x00" + MEMBER_FILE.encode(),                              # a null byte
    None,                                                      # the file is gone
    b"x = 1\n" * (render_board.ANNOTATION_READ_CAP // 6 + 1) + MEMBER_FILE.encode(),   # over the cap
    b"(" * 200_000,                                            # too deep for the parser
    b"-" * 100_000 + b"1",
    b"1+" * 200_000 + b"1",
])
def test_annotation_falls_back_to_line_1_when_the_file_cannot_be_read(tmp_path, source):
    [(_, properties, _)] = annotations_for(tmp_path, [a_test("a", "correctness", "failed", "kmeans(X) wrong")],
                                           source=source)
    assert properties["line"] == "1"


def test_annotation_reads_a_file_that_is_not_utf8_in_a_comment(tmp_path):
    [(_, properties, _)] = annotations_for(tmp_path, [a_test("a", "correctness", "failed", "kmeans(X) wrong")],
                                           source=b"# caf\xe9 \xff\n" + MEMBER_FILE.encode())
    assert properties["line"] == "17"


def test_annotation_never_reads_through_a_symlink(tmp_path):
    outside = tmp_path / "outside.py"
    outside.write_text(MEMBER_FILE)
    roster = tmp_path / "roster"
    (roster / "alice").mkdir(parents=True)
    (roster / "alice" / "kmeans.py").symlink_to(outside)
    (roster / "bob").symlink_to(roster / "alice")
    tests = [a_test("a", "correctness", "failed", "kmeans(X) wrong")]
    cells = [graded(m, "kmeans", a_report("kmeans", tests)) for m in ("alice", "bob")]
    board = board_of(cells, members=["alice", "bob"], challenges=["kmeans"])
    lines = [parse_workflow_command(line)[1]["line"] for line in render_board.github_annotations(board, roster)]
    assert lines == ["1", "1"]


def test_annotation_never_reads_outside_the_roster(tmp_path):
    (tmp_path / "kmeans.py").write_text(MEMBER_FILE)
    (tmp_path / "roster").mkdir()
    cell = graded("alice", "kmeans", a_report("kmeans", [a_test("a", "correctness", "failed", "kmeans(X)")]))
    for file in ("../kmeans.py", str(tmp_path / "kmeans.py")):
        cell.file = file
        board = board_of([cell], members=["alice"], challenges=["kmeans"])
        [(_, properties, _)] = map(parse_workflow_command, render_board.github_annotations(board, tmp_path / "roster"))
        assert "file" not in properties and "line" not in properties


def test_annotation_values_are_escaped_and_read_back_whole(tmp_path):
    message = "100% wrong\r\nline two: a, b\nline three"
    name = "Finds: clusters, 50% of them"
    [(_, properties, text)] = annotations_for(tmp_path, [a_test(name, "correctness", "failed", message)])
    assert properties["title"] == f"alice/kmeans: {name}"
    assert text == "Correctness: 100% wrong\nline two: a, b\nline three"     # inert: \r\n became \n


@pytest.mark.parametrize("command", COMMANDS)
def test_annotations_start_no_command_of_the_candidate(tmp_path, command):
    tests = [a_test(f"name {command}", "correctness", "failed", f"{command}\nfirst\n{command}\n")]
    annotations = annotations_for(tmp_path, tests)
    lines = render_board.github_annotations(board_of(
        [graded("alice", "kmeans", a_report("kmeans", tests))], members=["alice"], challenges=["kmeans"]), tmp_path)
    assert len(lines) == 1 and lines[0].startswith("::error ")
    [(name, properties, text)] = annotations
    assert name == "error" and set(properties) == {"file", "line", "title"}
    # What GitHub shows holds no line, title or message, that a runner would run.
    assert not [line for line in text.splitlines() + [properties["title"]] if runs_as_ci_command(line)]
    assert text.replace(CI_COMMAND_MARK, "") == "Correctness: " + inert(f"{command}\nfirst\n{command}").strip()


def test_annotation_file_is_the_roster_folder_as_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    [(_, properties, _)] = annotations_for(Path("."), [a_test("a", "correctness", "failed", "kmeans(X)")])
    assert properties["file"] == "roster/alice/kmeans.py" and properties["line"] == "16"


# ------------------------------------------------ nothing but the cells counts

def _shuffled(cells: list[Cell]) -> list[Cell]:
    return cells[3:] + cells[:3][::-1]


def _retimed(cell: Cell) -> Cell:
    """The same verdicts, graded at another time for another duration."""
    cell = copy.deepcopy(cell)
    if cell.report is not None:
        cell.report.started_at = "2030-12-31T23:59:59+00:00"
        cell.report.duration_s = 123.4
        for test in cell.report.tests:
            test.duration_s = 9.9
    return cell


@pytest.mark.parametrize("fmt", FORMATS)
def test_output_does_not_depend_on_the_order_cells_were_added(fmt):
    cells = sample_cells()
    assert FORMATS[fmt](board_of(cells)) == FORMATS[fmt](board_of(_shuffled(cells)))


@pytest.mark.parametrize("fmt", FORMATS)
def test_merged_shards_print_what_one_unsharded_run_prints(fmt):
    cells = sample_cells()
    shards = [board_of(cells[i::3], shard=(i + 1, 3)) for i in range(3)]
    assert FORMATS[fmt](merge(shards[::-1])) == FORMATS[fmt](board_of(cells))


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "json"])
def test_output_does_not_depend_on_the_shard_or_on_timing(fmt):
    # JSON is the board: it keeps `shard` and each report whole (docs/report-format.md).
    cells = sample_cells()
    assert FORMATS[fmt](board_of([_retimed(c) for c in cells], shard=(2, 3))) == FORMATS[fmt](board_of(cells))


@pytest.mark.parametrize("fmt", FORMATS)
def test_fractional_points_total_the_same_in_any_order(fmt):
    points = {c: {"correctness": 0.1, "edge_case": 0.2, "stability": 0.3, "performance": 0.7} for c in CHALLENGES}
    cells = [Cell.graded(c.member, c.challenge_id, c.file, c.report, points[c.challenge_id])
             if c.report is not None else c for c in sample_cells()]
    first = FORMATS[fmt](board_of(cells, points=points))
    assert first == FORMATS[fmt](board_of(_shuffled(cells)[::-1], points=points))
    if fmt == "markdown":
        assert "correctness 0.1, edge cases 0.2, numerical stability 0.3, performance 0.7" in first


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("members, challenges", [([], []), (["alice"], []), ([], ["kmeans"])],
                         ids=["nothing", "no challenges", "no members"])
def test_an_empty_board_renders(fmt, members, challenges):
    text = FORMATS[fmt](board_of([], members=members, challenges=challenges))
    if fmt == "json":
        assert Leaderboard.from_dict(json.loads(text)).members == members
    if fmt == "junit":
        assert ET.fromstring(text).get("tests") == "0"
