"""Renderers of a study group's Leaderboard: text (rich), Markdown, HTML, JUnit, JSON, CI annotations.

Renderers only read the board (trainer/leaderboard.py); they never grade.

Every output is a function of the board's cells and nothing else: cells are
visited in the board's member x challenge order (never in the order they
were added), and nothing shows the board's `shard` or when and for how long
a grading ran (the speed ratio of each cell is the only measurement shown).
So `merge(shards)` prints the same bytes as one unsharded run with the same
verdicts. (JSON is the board itself: it keeps `shard`, which is null on a
merged or unsharded board, and each report whole.)

Member names, notes, file names, test names and messages come from
candidates (a member names their own folder). Each format keeps them inert
with the safety functions of trainer/render.py: rich `Text` for the terminal,
`code_span` in Markdown, `html.escape` in HTML, `_xml` in JUnit, and in every
format no line a CI runner would run as a workflow command.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import html
import json
import math
import os
import re
import stat
from pathlib import Path
from xml.etree import ElementTree as ET

from trainer.leaderboard import DEFAULT_POINTS, FORMULA, NO_SUBMISSION, REFUSED, Cell, Leaderboard
from trainer.render import (CI_COMMAND_MARK, _command_triggers, _junit_suite, _print_line, _rewrite, _xml,
                            code_span, neutralise_ci_commands)
from trainer.report import CATEGORIES, CATEGORY_TITLES, GradeReport, TestResult, _ratio, inert

#: Verdicts in words, and the mark before them in a cell.
VERDICT_TEXT = {"passed": "passed", "failed": "failed", "rejected": "rejected", "error": "error",
                NO_SUBMISSION: "no submission", REFUSED: "refused"}
VERDICT_MARK = {"passed": "✓", "failed": "✗", "rejected": "✗", "error": "!", NO_SUBMISSION: "–", REFUSED: "✗"}
#: A cell of a shard's board that another shard grades.
NOT_GRADED = "not graded"

#: How much of a member's file `github_annotations` reads to find a line (a larger file: line 1).
ANNOTATION_READ_CAP = 1 << 20


# ------------------------------------------------------------------ shared

def _grid(board: Leaderboard):
    """(member, [cell or None per challenge]) in the board's order: never the order cells were added."""
    return [(member, [board.cell(member, c) for c in board.challenges]) for member in board.members]


def _number(value: float) -> str:
    """Points as people write them: 12, 2.5, 0.25."""
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4f}".rstrip("0").rstrip(".")


def cell_summary(cell: Cell | None) -> str:
    """A cell in a few characters: mark, tests passed/total, speed ratio ("✓ 3/3 · 1.2x").

    Only mltrainer's own words and numbers: nothing here comes from a candidate.
    """
    if cell is None:
        return NOT_GRADED
    verdict = cell.verdict if cell.verdict in VERDICT_TEXT else None
    if verdict is None:
        return "? unknown verdict"
    mark = VERDICT_MARK[verdict]
    if verdict in (NO_SUBMISSION, REFUSED, "rejected"):
        return f"{mark} {VERDICT_TEXT[verdict]}"
    tests = f"{int(cell.tests_passed)}/{int(cell.tests_total)}"
    text = f"{mark} {tests}" if verdict != "error" else f"{mark} error" + (f" {tests}" if cell.tests_total else "")
    if cell.speed_ratio is not None:
        text += f" · {_ratio(float(cell.speed_ratio))}"
    return text


def _first_line(text: str) -> str:
    lines = inert(str(text)).strip().splitlines()
    return lines[0].strip() if lines else ""


def _notes(board: Leaderboard) -> list[tuple[str, str, str]]:
    """(member, challenge, first line of the note) of every cell that has a note, in board order."""
    return [(member, cell.challenge_id, _first_line(cell.note))
            for member, cells in _grid(board) for cell in cells if cell is not None and _first_line(cell.note)]


def _own_points(board: Leaderboard) -> list[tuple[str, str]]:
    """(challenge, "correctness 3, edge case 1, ...") for each challenge whose points are not the default."""
    rows = []
    for challenge in board.challenges:
        points = board.points.get(challenge)
        if points and {k: float(v) for k, v in points.items()} != {k: float(v) for k, v in DEFAULT_POINTS.items()}:
            ordered = sorted(points.items(), key=lambda kv: (CATEGORIES.index(kv[0]) if kv[0] in CATEGORIES
                                                             else len(CATEGORIES), kv[0]))
            rows.append((challenge, ", ".join(f"{CATEGORY_TITLES.get(k, k).lower()} {_number(v)}"
                                              for k, v in ordered)))
    return rows


def _failures(report: GradeReport) -> list[TestResult]:
    """The tests that fail the challenge: failed or harness errors, bonus parts not counted."""
    return [t for t in report.tests if t.outcome in ("failed", "error") and not t.bonus]


# -------------------------------------------------------------------- text

def _print_safe(console, renderable) -> None:
    """Print a rich renderable (a table) so that no line of it is a CI workflow command.

    The table is laid out first; then each line as it will be printed is
    checked and marked like `neutralise_ci_commands` does, whatever wrapping
    did to the cells.
    """
    from rich.segment import Segment, Segments

    out: list[Segment] = []
    for line in console.render_lines(renderable, console.options, pad=False):
        triggers = set(_command_triggers("".join(segment.text for segment in line)))
        offset = 0
        for segment in line:
            length = len(segment.text)
            if any(offset <= at < offset + length for at in triggers):
                marked = "".join(CI_COMMAND_MARK + ch if offset + i in triggers else ch
                                 for i, ch in enumerate(segment.text))
                out.append(Segment(marked, segment.style, segment.control))
            else:
                out.append(segment)
            offset += length
        out.append(Segment.line())
    console.print(Segments(out), end="", soft_wrap=True)


def to_text(board: Leaderboard, console) -> None:
    """The leaderboard on a terminal or in a CI log: the grid, the standings, the formula, the notes."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    def plain(value: str, style: str = "") -> Text:
        # Text is never read as markup or emoji codes; marked before the layout
        # (so columns stay aligned), checked again line by line by _print_safe.
        return Text(neutralise_ci_commands(inert(str(value))), style=style)

    colour = {"passed": "green", "failed": "red", "rejected": "red", "error": "magenta",
              NO_SUBMISSION: "dim", REFUSED: "red"}
    grid = Table(box=box.SQUARE, title=None, show_lines=False)
    grid.add_column(plain("member", "bold"))
    for challenge in board.challenges:
        grid.add_column(plain(challenge, "bold"))
    grid.add_column(plain("points", "bold"), justify="right")
    for member, cells in _grid(board):
        grid.add_row(plain(member), *(plain(cell_summary(cell), colour.get(cell.verdict, "") if cell else "dim")
                                      for cell in cells), plain(_number(board.total(member))))
    _print_safe(console, grid)

    standings = Table(box=box.SQUARE)
    standings.add_column(plain("rank", "bold"), justify="right")
    standings.add_column(plain("member", "bold"))
    standings.add_column(plain("points", "bold"), justify="right")
    for rank, member, total in board.standings():
        standings.add_row(plain(str(rank)), plain(member), plain(_number(total)))
    _print_safe(console, standings)

    _print_line(console, FORMULA)
    for challenge, points in _own_points(board):
        _print_line(console, "  ", challenge, ": ", points)
    notes = _notes(board)
    if notes:
        console.print()
        _print_line(console, ("Notes", "bold"))
        for member, challenge, note in notes:
            _print_line(console, "  ", member, "/", challenge, ": ", note)


# ---------------------------------------------------------------- Markdown

def to_markdown(board: Leaderboard) -> str:
    """The leaderboard for a CI job's summary page ($GITHUB_STEP_SUMMARY).

    Every string that is not mltrainer's own (member names, challenge ids,
    notes) is a code span, so it cannot break the table or add a link, an
    image, HTML or a mention.
    """
    def span(text: str) -> str:
        return code_span(text, in_table=True)

    lines = ["## Leaderboard", "",
             "| member | " + " | ".join(span(c) for c in board.challenges) + " | points |",
             "|---|" + "---|" * len(board.challenges) + "---:|"]
    for member, cells in _grid(board):
        lines.append(f"| {span(member)} | " + " | ".join(cell_summary(cell) for cell in cells)
                     + f" | {_number(board.total(member))} |")
    lines += ["", "### Standings", "", "| rank | member | points |", "|---:|---|---:|"]
    lines += [f"| {rank} | {span(member)} | {_number(total)} |" for rank, member, total in board.standings()]
    lines += ["", f"{FORMULA}."]
    own = _own_points(board)
    if own:
        lines += [""] + [f"- {code_span(challenge)}: {points}" for challenge, points in own]
    notes = _notes(board)
    if notes:
        lines += ["", "### Notes", ""]
        lines += [f"- {code_span(member)} / {code_span(challenge)}: {code_span(note)}"
                  for member, challenge, note in notes]
    return neutralise_ci_commands("\n".join(lines) + "\n")


def append_step_summary(board: Leaderboard, path: Path) -> None:
    """Append the Markdown leaderboard to a job summary file (GitHub's $GITHUB_STEP_SUMMARY); create it if missing."""
    path = Path(path)
    text = to_markdown(board)
    try:
        if path.stat().st_size > 0:
            text = "\n" + text   # a blank line: what came before ends its block
    except FileNotFoundError:
        pass
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text)


# -------------------------------------------------------------------- HTML

_HTML_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem; color: #1f2328; }
h1, h2 { font-weight: 600; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #d0d7de; padding: 0.3rem 0.6rem; text-align: left; white-space: nowrap; }
thead th { background: #f6f8fa; }
thead th button { font: inherit; font-weight: 600; background: none; border: 0; padding: 0; cursor: pointer; }
thead th[aria-sort="ascending"] button::after { content: " \\25B2"; }
thead th[aria-sort="descending"] button::after { content: " \\25BC"; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.passed { background: #dafbe1; }
td.failed, td.rejected, td.refused { background: #ffebe9; }
td.error { background: #fbefff; }
td.no-submission, td.not-graded { color: #656d76; }
.formula { max-width: 60rem; }
pre { white-space: pre-wrap; margin: 0.2rem 0 0.6rem; }
""".lstrip()

# Sorts every table.sortable by the column whose header button is clicked:
# numbers from data-sort (space-separated, compared in order), text otherwise;
# a second click reverses; ties keep the board's order (data-order).
_HTML_SCRIPT = """
(function () {
  "use strict";
  function key(cell, numeric) {
    if (!numeric) { return [cell.textContent.trim().toLowerCase()]; }
    return (cell.getAttribute("data-sort") || "").split(" ").map(Number);
  }
  function compare(a, b) {
    for (var i = 0; i < Math.max(a.length, b.length); i++) {
      if (a[i] < b[i]) { return -1; }
      if (a[i] > b[i]) { return 1; }
    }
    return 0;
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    var headers = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(headers, function (th, column) {
      var button = th.querySelector("button");
      if (!button) { return; }
      button.addEventListener("click", function () {
        var numeric = th.getAttribute("data-type") === "number";
        var now = th.getAttribute("aria-sort");
        var ascending = now ? now !== "ascending" : th.getAttribute("data-first") !== "descending";
        Array.prototype.forEach.call(headers, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows).map(function (row) {
          return {row: row, key: key(row.cells[column], numeric), order: Number(row.getAttribute("data-order"))};
        });
        rows.sort(function (a, b) {
          var c = compare(a.key, b.key);
          return (ascending ? c : -c) || a.order - b.order;
        });
        rows.forEach(function (r) { body.appendChild(r.row); });
      });
    });
  });
})();
""".lstrip()


def _csp_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii") + "'"


#: Nothing may load or run but the page's own style and script (by their hashes).
CONTENT_SECURITY_POLICY = (f"default-src 'none'; style-src {_csp_hash(_HTML_STYLE)}; "
                           f"script-src {_csp_hash(_HTML_SCRIPT)}; base-uri 'none'; form-action 'none'")


def _e(text: str) -> str:
    """Candidate (or any) text as HTML text or an attribute value: inert, then escaped, quotes too."""
    return html.escape(inert(str(text)), quote=True)


def _cell_key(cell: Cell | None) -> str:
    """A cell's numeric sort key, best last: points, tests passed, minus the speed ratio (faster is better)."""
    if cell is None:
        return "-1 -1 -Infinity"
    ratio = "-Infinity" if cell.speed_ratio is None else repr(-float(cell.speed_ratio))
    return f"{repr(float(cell.points))} {int(cell.tests_passed)} {ratio}"


def _sortable_header(label: str, kind: str, first: str) -> str:
    return f'<th scope="col" data-type="{kind}" data-first="{first}"><button type="button">{_e(label)}</button></th>'


def to_html(board: Leaderboard) -> str:
    """One self-contained page: the grid (sortable), the standings, the formula, notes and failed tests.

    No external assets: the style and the script are inline, and the page's
    Content-Security-Policy allows only those two (by hash), nothing else.
    """
    ranks = {member: rank for rank, member, _ in board.standings()}
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">',
           '<meta name="referrer" content="no-referrer">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           "<title>mltrainer leaderboard</title>", f"<style>{_HTML_STYLE}</style>", "</head>", "<body>",
           "<h1>Leaderboard</h1>",
           '<p>Click a column header to sort by it; click again to reverse.</p>',
           '<table class="sortable" id="leaderboard">', "<thead><tr>",
           _sortable_header("member", "text", "ascending")]
    out += [_sortable_header(challenge, "number", "descending") for challenge in board.challenges]
    out += [_sortable_header("points", "number", "descending"), _sortable_header("rank", "number", "ascending"),
            "</tr></thead>", "<tbody>"]
    for order, (member, cells) in enumerate(_grid(board)):
        out.append(f'<tr data-order="{order}"><th scope="row">{_e(member)}</th>')
        for cell in cells:
            css = "not-graded" if cell is None else str(cell.verdict).replace(" ", "-")
            css = css if css in ("passed", "failed", "rejected", "error", "no-submission", "refused",
                                 "not-graded") else "unknown"
            title = f' title="{_e(_first_line(cell.note))}"' if cell is not None and _first_line(cell.note) else ""
            out.append(f'<td class="{css}" data-sort="{_cell_key(cell)}"{title}>{_e(cell_summary(cell))}</td>')
        total = board.total(member)
        out.append(f'<td class="num" data-sort="{repr(float(total))}">{_e(_number(total))}</td>'
                   f'<td class="num" data-sort="{ranks[member]}">{ranks[member]}</td></tr>')
    out += ["</tbody>", "</table>", "<h2>Standings</h2>", '<table class="sortable" id="standings">',
            "<thead><tr>", _sortable_header("rank", "number", "ascending"),
            _sortable_header("member", "text", "ascending"), _sortable_header("points", "number", "descending"),
            "</tr></thead>", "<tbody>"]
    for order, (rank, member, total) in enumerate(board.standings()):
        out.append(f'<tr data-order="{order}"><td class="num" data-sort="{rank}">{rank}</td>'
                   f'<th scope="row">{_e(member)}</th>'
                   f'<td class="num" data-sort="{repr(float(total))}">{_e(_number(total))}</td></tr>')
    out += ["</tbody>", "</table>", f'<p class="formula">{_e(FORMULA)}.</p>']
    own = _own_points(board)
    if own:
        out += ["<ul>"] + [f"<li><code>{_e(c)}</code>: {_e(p)}</li>" for c, p in own] + ["</ul>"]
    notes = _notes(board)
    if notes:
        out += ["<h2>Notes</h2>", "<ul>"]
        out += [f"<li><code>{_e(m)}</code> / <code>{_e(c)}</code>: {_e(n)}</li>" for m, c, n in notes]
        out.append("</ul>")
    details = _html_failures(board)
    if details:
        out += ["<h2>Failed tests</h2>", *details]
    out += [f"<script>{_HTML_SCRIPT}</script>", "</body>", "</html>"]
    text = "\n".join(out) + "\n"
    # The page may be printed to a CI log: a `:` or `#` that would start a
    # workflow command is only ever text or an attribute value here (the
    # style and script have none), which a character reference spells as well.
    return _rewrite(text, _command_triggers(text), lambda ch: f"&#{ord(ch)};")


def _html_failures(board: Leaderboard) -> list[str]:
    """A <details> per graded cell that failed: its static issues, error and failing tests, escaped."""
    out = []
    for member, cells in _grid(board):
        for cell in cells:
            report = cell.report if cell is not None else None
            if report is None:
                continue
            failing = _failures(report)
            if not (failing or report.static_issues or report.error.strip()):
                continue
            out.append(f"<details><summary><code>{_e(member)}</code> / <code>{_e(cell.challenge_id)}</code>: "
                       f"{_e(cell_summary(cell))}</summary>")
            for issue in report.static_issues:
                out.append(f"<p>rejected before running: <code>{_e(issue.location())}</code></p>"
                           f"<pre>{_e(issue.message)}</pre>")
            if report.error.strip():
                out.append(f"<p>grading could not complete</p><pre>{_e(report.error.strip())}</pre>")
            for test in failing:
                title = CATEGORY_TITLES.get(test.category, test.category)
                out.append(f"<p><strong>{_e(title)}</strong>: {_e(test.name)} ({_e(test.outcome)})</p>"
                           f"<pre>{_e(test.message.strip())}</pre>")
            out.append("</details>")
    return out


# ------------------------------------------------------------------- JUnit

SUBMISSION_CLASSNAME = "submission"


def to_junit(board: Leaderboard) -> str:
    """One <testsuite> per member x challenge, named `member/challenge`; a <testcase> per test.

    A graded cell's suite is render.py's suite of its report, with `classname`
    the test's category, no timings, and the member's file (relative to the
    roster) as the `solution` property. A cell without a graded file is one
    `submission` test case: skipped for "no submission", failed for
    "refused" (as a rejected file fails). Counts are counted from the
    elements written.
    """
    suites = ET.Element("testsuites", name="mltrainer leaderboard")
    for member, cells in _grid(board):
        for cell in cells:
            if cell is not None:
                suites.append(_board_suite(member, cell))
    for attribute in ("tests", "failures", "errors", "skipped"):
        suites.set(attribute, str(sum(int(s.get(attribute)) for s in suites.findall("testsuite"))))
    ET.indent(suites)
    text = ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
    return _rewrite(text, _command_triggers(text), lambda ch: f"&#{ord(ch)};")


def _board_suite(member: str, cell: Cell) -> ET.Element:
    name = f"{_xml(member)}/{_xml(cell.challenge_id)}"
    report = cell.report
    if report is not None:
        suite = _junit_suite(report)
        # render.py writes the extra cases (static checks, grading) first, then one per test in order.
        cases = suite.findall("testcase")
        extra = len(cases) - len(report.tests)
        for case in cases[:extra]:
            case.set("classname", SUBMISSION_CLASSNAME)
        for case, test in zip(cases[extra:], report.tests):
            case.set("classname", _xml(test.category))
        for case in cases:
            case.attrib.pop("time", None)
        for attribute in ("time", "timestamp"):
            suite.attrib.pop(attribute, None)
        suite.set("name", name)
        properties = suite.find("properties")
        for prop in properties.findall("property"):
            if prop.get("name") == "solution":
                prop.set("value", _xml(cell.file))
    else:
        suite = ET.Element("testsuite", name=name)
        properties = ET.SubElement(suite, "properties")
        ET.SubElement(properties, "property", name="solution", value=_xml(cell.file))
        case = ET.SubElement(suite, "testcase", classname=SUBMISSION_CLASSNAME, name="submission")
        note = _xml(cell.note).strip()
        verdict = _xml(cell.verdict)
        message = f"{verdict}: {note.splitlines()[0]}" if note else verdict
        if cell.verdict == NO_SUBMISSION:
            ET.SubElement(case, "skipped", message=message)
        elif cell.verdict == REFUSED:
            ET.SubElement(case, "failure", message=message).text = note or None
        else:   # a graded verdict without its report (a board edited by hand): it cannot count as passed
            ET.SubElement(case, "error", message=f"{verdict}: the board holds no report for this cell")
        cases = suite.findall("testcase")
        suite.set("tests", str(len(cases)))
        for tag, attribute in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
            suite.set(attribute, str(sum(c.find(tag) is not None for c in cases)))
    for key, value in (("member", member), ("challenge", cell.challenge_id), ("verdict", cell.verdict),
                       ("points", _number(cell.points))):
        ET.SubElement(properties, "property", name=key, value=_xml(value))
    return suite


# -------------------------------------------------------------------- JSON

def to_json(board: Leaderboard) -> str:
    """The board as JSON (docs/report-format.md, "Leaderboard"): sorted keys, stable bytes, ASCII only."""
    text = json.dumps(board.to_dict(), indent=2, sort_keys=True) + "\n"
    # A `:` or `#` that would make a CI command is only ever inside a string,
    # which may spell it \\uXXXX: the data stays the same.
    return _rewrite(text, _command_triggers(text), lambda ch: f"\\u{ord(ch):04x}")


# ----------------------------------------------------- GitHub annotations

def _escape_data(text: str) -> str:
    """A workflow command's message, escaped as the GitHub runner unescapes it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    """A workflow command's property value (file, title): also `:` and `,`, which end it."""
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _safe_relative(file: str) -> bool:
    parts = Path(file).parts
    return bool(file) and not Path(file).is_absolute() and ".." not in parts and "\x00" not in file


def _definitions(roster_dir: Path, file: str) -> dict[str, int]:
    """Line of every `def` and `class` in a member's file (top level first, then methods); {} if unreadable.

    Reads at most ANNOTATION_READ_CAP bytes, never through a symlink (no part
    of the path below the roster folder may be one), only a regular file.
    """
    if not _safe_relative(file):
        return {}
    path = Path(roster_dir)
    try:
        for part in Path(file).parts:
            path = path / part
            if path.is_symlink():
                return {}
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return {}
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return {}
        data = os.read(fd, ANNOTATION_READ_CAP + 1)
    except OSError:
        return {}
    finally:
        os.close(fd)
    if len(data) > ANNOTATION_READ_CAP:
        return {}
    try:
        tree = ast.parse(data.decode("utf-8", errors="replace"))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    found: dict[str, int] = {}
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    for node in tree.body:
        if isinstance(node, kinds):
            found.setdefault(node.name, node.lineno)
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, kinds):
                    found.setdefault(item.name, item.lineno)
    return found


_CALLED = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def api_line(definitions: dict[str, int], test: TestResult) -> int:
    """The line of the function (or class) a failing test exercises, else 1.

    The first name in the test's message that the file defines, names written
    as calls (`scale(`) before other words; failing that, a definition named
    in the test's function (`test_row_sums` -> `row_sums`).
    """
    message = test.message or ""
    for name in [*_CALLED.findall(message), *_WORD.findall(message)]:
        if name in definitions:
            return definitions[name]
    function = "_" + test.nodeid.rsplit("::", 1)[-1].split("[", 1)[0] + "_"
    named = [name for name in definitions if f"_{name}_" in function]
    if named:
        return definitions[max(named, key=lambda n: (len(n), -definitions[n]))]
    return 1


def github_annotations(board: Leaderboard, roster_dir: Path) -> list[str]:
    """One `::error file=...,line=...,title=...::message` per failed test of every graded cell.

    `file` is the member's file (roster_dir / cell.file, as given); `line` the
    `def` or `class` of the function under test (`api_line`). A rejected file
    gets one per static issue (at its line), a grading that could not
    complete one at line 1. Failed bonus tests and cells without a graded
    file get none. Values are escaped per GitHub's rules and run through
    `neutralise_ci_commands`, so a candidate's text cannot start a command of
    its own.
    """
    lines: list[str] = []
    definitions: dict[str, dict[str, int]] = {}
    for member, cells in _grid(board):
        for cell in cells:
            report = cell.report if cell is not None else None
            if report is None:
                continue
            where = f"{inert(member)}/{inert(cell.challenge_id)}"
            safe = _safe_relative(cell.file)
            if safe and cell.file not in definitions:
                definitions[cell.file] = _definitions(Path(roster_dir), cell.file)
            defs = definitions.get(cell.file, {})

            def annotate(line: int | None, title: str, message: str) -> None:
                properties = []
                if safe:
                    path = neutralise_ci_commands(inert(str(Path(roster_dir) / cell.file)))
                    properties.append(f"file={_escape_property(path)}")
                    properties.append(f"line={int(line or 1)}")
                properties.append(f"title={_escape_property(neutralise_ci_commands(inert(title)))}")
                text = neutralise_ci_commands(inert(message).strip() or "failed")
                lines.append(f"::error {','.join(properties)}::{_escape_data(text)}")

            for issue in report.static_issues:
                annotate(issue.line, f"{where}: rejected before running", issue.message)
            if report.status == "error" and report.error.strip():
                annotate(1, f"{where}: grading could not complete", report.error)
            for test in _failures(report):
                category = CATEGORY_TITLES.get(test.category, test.category)
                annotate(api_line(defs, test), f"{where}: {test.name}",
                         f"{category}: {test.message.strip() or test.outcome}")
    return lines


__all__ = ["ANNOTATION_READ_CAP", "CONTENT_SECURITY_POLICY", "NOT_GRADED", "VERDICT_MARK", "VERDICT_TEXT",
           "api_line", "append_step_summary", "cell_summary", "github_annotations", "to_html", "to_json",
           "to_junit", "to_markdown", "to_text"]
