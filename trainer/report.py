"""The one result model of a grading run, shared by every renderer and the store.

The engine builds a `GradeReport`; the CLI, the TUI, the JSON and JUnit
writers and the progress store only read it. `to_dict()` is the documented
JSON format (docs/report-format.md); `from_dict()` reads it back.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field

CATEGORIES = ("correctness", "edge_case", "stability", "performance")
CATEGORY_TITLES = {
    "correctness": "Correctness",
    "edge_case": "Edge cases",
    "stability": "Numerical stability",
    "performance": "Performance",
}
FORMAT_VERSION = 1

# Characters that must never reach a renderer, whatever Unicode version its
# reader has: C0 controls but tab and newline (ESC starts terminal escape
# sequences, CR overwrites a line), DEL, C1 controls (single-byte CSI/OSC),
# lone surrogates, the code points XML 1.0 cannot hold (U+FFFE, U+FFFF), and
# every character that Unicode says is drawn as nothing (its stable list,
# Default_Ignorable_Code_Point): bidirectional controls (text that reads
# differently from what it says), zero-width spaces and joiners, the word
# joiner, the byte order mark, the soft hyphen, the combining grapheme
# joiner, Hangul fillers, variation selectors, and the tag characters, which
# spell ASCII that no one sees (instructions hidden from the person reading
# the report, not from a program reading it). Those above U+FFFF are in a
# class of their own: in this one they would slow down every search.
_NEVER_SHOWN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"
    "\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ud800-\udfff\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\ufffe\uffff]")
_NEVER_SHOWN_ASCII = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
_NEVER_SHOWN_ASTRAL = re.compile("[\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]+")
# The only ones of those that str.isprintable() passes.
_SUPPLEMENTARY_VARIATION_SELECTORS = re.compile("[\U000e0100-\U000e01ef]")
# The spaces but " " (category Zs), which str.isprintable() refuses and a report keeps.
_SPACES = re.compile("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")


def inert(text: str) -> str:
    """`text` with every character that could act on a terminal or a document, or hide, taken out.

    Strings that can come from a candidate (exception messages, type names,
    printed output, paths) pass through here when a report is built, so no
    renderer ever sees them raw. Newlines and tabs are kept; the line and
    paragraph separators (U+2028, U+2029) become newlines, so a newline is
    the only line break left; every other format character (category Cf) is
    removed; private-use and unassigned characters, which a font may draw as
    anything or as nothing, become U+FFFD. Printable text in any script,
    symbols and emoji stay as they are.
    """
    text = text.replace("\r\n", "\n")
    if text.isascii():
        return _NEVER_SHOWN_ASCII.sub("", text)
    text = _NEVER_SHOWN.sub("", text)
    # What is left to decide is what str.isprintable() refuses (Cf, Co, Cn,
    # Zl, Zp, and the spaces but " ", which stay) and the variation
    # selectors above U+FFFF: most text has none, and ends here.
    if _SUPPLEMENTARY_VARIATION_SELECTORS.search(text) is None:
        plain = text.replace("\n", " ").replace("\t", " ")
        if plain.isprintable() or _SPACES.sub(" ", plain).isprintable():
            return text
    text = _NEVER_SHOWN_ASTRAL.sub("", text)
    changes = {}
    for ch in set(text):
        if ch.isprintable() or ch in "\t\n":
            continue
        category = unicodedata.category(ch)
        if category in ("Zl", "Zp"):
            changes[ch] = "\n"
        elif category in ("Co", "Cn"):
            changes[ch] = "\ufffd"
        elif category != "Zs":          # Cf: a format character not named above
            changes[ch] = ""
    if len(changes) > 64:               # a class of so many would be slower than a table
        return text.translate({ord(ch): shown for ch, shown in changes.items()})
    for shown in set(changes.values()):
        text = re.sub("[" + "".join(re.escape(ch) for ch in changes if changes[ch] == shown) + "]", shown, text)
    return text


# What a test keeps of what the solution printed, in characters, the
# "left out" line included: enough to debug with, small enough for a CI log.
OUTPUT_LIMIT = 4000
_LEFT_OUT_ROOM = 64   # room for the "... N characters left out ..." line
# Terminal escape sequences, removed whole so that no "[31m" is left behind:
# CSI (colours, cursor moves), OSC (titles, hyperlinks; ended by BEL or ST,
# or at the end of the line) and the other two-character ESC sequences.
_ESCAPE_SEQUENCE = re.compile(
    "(?:\x1b\\[|\x9b)[0-?]*[ -/]*[@-~]"
    "|(?:\x1b\\]|\x9d)[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\\\|\x9c)?"
    "|\x1b[ -~]")


class PrintedText:
    """What a solution printed, kept bounded as it arrives: its head and its tail.

    Once more than `limit` characters came in, only the first and the last
    (about `limit / 2` each) are kept, and the ones in between are counted,
    so a flood costs no more memory than a page and `text()` says how much
    is missing: "... 1048576 characters left out ...".
    """

    def __init__(self, limit: int = OUTPUT_LIMIT) -> None:
        self.limit = limit
        self.head = ""
        self.tail = ""
        self.left_out = 0

    def add(self, text: str) -> "PrintedText":
        if not text:
            return self
        keep = max(self.limit - _LEFT_OUT_ROOM, 2)
        if not self.left_out:
            whole = self.head + text
            if len(whole) <= self.limit:
                self.head = whole
                return self
            self.head, self.tail = whole[:keep // 2], whole[len(whole) - (keep - keep // 2):]
            self.left_out = len(whole) - keep
            return self
        tail = self.tail + text
        room = keep - len(self.head)
        self.left_out += len(tail) - room
        self.tail = tail[len(tail) - room:]
        return self

    def text(self) -> str:
        """All of it, or its head, a line saying how much was left out, and its tail (at most `limit`)."""
        if not self.left_out:
            return self.head
        # Cut at line ends when one is near, so that no line is shown in part.
        end = self.head.rfind("\n", len(self.head) * 3 // 4) + 1 or len(self.head)
        start = self.tail.find("\n", 0, len(self.tail) // 4) + 1
        head = self.head[:end] if self.head[:end].endswith("\n") else self.head[:end] + "\n"
        left_out = self.left_out + len(self.head) - end + start
        return f"{head}... {left_out} characters left out ...\n{self.tail[start:]}"


def printed_output(text: str) -> str:
    """What a solution printed, bounded (`PrintedText`) and inert, as a report holds it.

    Beyond `inert`: escape sequences go whole, and a carriage return that
    does not end a line rewrites the line the way a terminal shows it (a
    progress bar keeps its last state).
    """
    text = _ESCAPE_SEQUENCE.sub("", PrintedText().add(text).text().replace("\r\n", "\n"))
    if "\r" in text:
        lines = []
        for line in text.split("\n"):
            shown = ""
            for part in line.split("\r"):
                shown = part + shown[len(part):]
            lines.append(shown)
        text = "\n".join(lines)
    return inert(text)


def _inert_fields(obj, names) -> None:
    """Every named string field of `obj` made inert (None becomes "")."""
    for name in names:
        value = getattr(obj, name)
        setattr(obj, name, inert("" if value is None else str(value)))


@dataclass
class Issue:
    """A static-check finding, before anything runs."""

    path: str
    line: int | None
    column: int | None
    message: str

    def __post_init__(self) -> None:
        _inert_fields(self, ("path", "message"))

    def location(self) -> str:
        where = self.path
        if self.line:
            where += f":{self.line}"
            if self.column:
                where += f":{self.column}"
        return where


@dataclass
class Measurement:
    """One budgeted (or informational) measurement of candidate vs reference."""

    kind: str                      # time | memory | growth | count
    label: str
    candidate: float | None        # seconds, bytes, exponent, or count
    reference: float | None
    unit: str                      # "s", "B", "", "evaluations"
    ratio: float | None            # candidate / reference (None for growth exponents)
    budget: float | None           # the allowed ratio (or the allowed exponent / count)
    within_budget: bool | None     # None when informational
    note: str = ""
    informational: bool = False
    cut_off: bool = False          # the candidate was stopped once clearly over budget
    versus: str = "reference"      # what the candidate is compared with

    def __post_init__(self) -> None:
        _inert_fields(self, ("kind", "label", "unit", "note", "versus"))
        # Graders compute with numpy; the report holds plain Python values (JSON).
        for name in ("candidate", "reference", "ratio", "budget"):
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, float(value))
        if self.within_budget is not None:
            self.within_budget = bool(self.within_budget)
        self.informational = bool(self.informational)
        self.cut_off = bool(self.cut_off)

    def summary(self) -> str:
        """One line, e.g. 'candidate 412 ms vs reference 38 ms: 10.8x (budget 3x)'."""
        if self.kind == "growth":
            text = f"fitted exponent {_num(self.candidate)}"
            if self.budget is not None:
                text += f" (budget {_num(self.budget)})"
            return text + (f"; {self.note}" if self.note else "")
        if self.kind == "count":
            text = f"candidate {_quantity(self.candidate, self.unit)}"
            if self.reference is not None:
                text += f" vs {self.versus} {_quantity(self.reference, self.unit)}"
            if self.budget is not None and not self.informational:
                text += f" (limit {_quantity(self.budget, self.unit)})"
            return text + (f"; {self.note}" if self.note and not self.note.startswith("limit") else "")
        cand = ("over " if self.cut_off else "") + _quantity(self.candidate, self.unit)
        text = f"candidate {cand} vs {self.versus} {_quantity(self.reference, self.unit)}"
        if self.ratio is not None:
            text += f": {'over ' if self.cut_off else ''}{_ratio(self.ratio)}"
        if self.budget is not None and not self.informational:
            text += f" (budget {_num(self.budget)}x)"
        elif self.informational:
            text += " (for information)"
        return text + (f"; {self.note}" if self.note else "")


@dataclass
class TestResult:
    nodeid: str
    name: str                      # what the user sees (the test's docstring)
    category: str                  # one of CATEGORIES
    outcome: str                   # passed | failed | error | skipped
    message: str = ""              # what input, what was expected, what came back
    bonus: bool = False
    duration_s: float = 0.0
    measurements: list[Measurement] = field(default_factory=list)
    # What the solution printed (stdout and stderr) during the test, bounded
    # and inert (`printed_output`); the reference's output is never kept.
    output: str = ""

    def __post_init__(self) -> None:
        # Reports are also read back from JSON (the store, --import): every string counts.
        _inert_fields(self, ("nodeid", "name", "category", "outcome", "message"))
        self.output = printed_output("" if self.output is None else str(self.output))

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"

    @classmethod
    def from_dict(cls, data: dict) -> "TestResult":
        # Reports from before the output field have none: it is "".
        if not isinstance(data.get("output", ""), str):
            raise TypeError(f"a test's output must be a string, not {type(data['output']).__name__}")
        return cls(**{**data, "measurements": [Measurement(**m) for m in data.get("measurements", [])]})


@dataclass
class GradeReport:
    challenge_id: str
    solution_path: str
    source_sha256: str
    started_at: str                # ISO 8601, UTC
    duration_s: float
    status: str                    # passed | failed | rejected (static checks) | error (grader broke)
    static_issues: list[Issue] = field(default_factory=list)
    tests: list[TestResult] = field(default_factory=list)
    error: str = ""
    # What confined the candidate's code, e.g. "landlock v7 + seccomp", or
    # "limits only (...)" when the kernel offered no confinement.
    isolation: str = ""
    # What a partial run left out ("" for a full grade), e.g. "quick: no performance tests" or
    # "-k empty": its verdict is about the tests that ran, and it is not recorded as progress.
    selection: str = ""
    format_version: int = FORMAT_VERSION
    # The exact text that was graded (its SHA-256 is source_sha256), for the
    # progress store; not part of the JSON report. Empty for a file that is
    # not UTF-8 text: it is rejected, never graded, and no other text stands
    # in for its bytes.
    source: str = field(default="", repr=False, compare=False)

    def __post_init__(self) -> None:
        _inert_fields(self, ("challenge_id", "solution_path", "status", "error", "isolation", "selection"))
        for name in ("source_sha256", "started_at"):   # may be None in stored reports
            if getattr(self, name) is not None:
                setattr(self, name, inert(str(getattr(self, name))))

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def required_tests(self) -> list[TestResult]:
        return [t for t in self.tests if not t.bonus]

    @property
    def bonus_tests(self) -> list[TestResult]:
        return [t for t in self.tests if t.bonus]

    def counts(self) -> dict:
        required = self.required_tests
        bonus = self.bonus_tests
        return {
            "total": len(required),
            "passed": sum(t.passed for t in required),
            "failed": sum(t.outcome in ("failed", "error") for t in required),
            "skipped": sum(t.outcome == "skipped" for t in required),
            "bonus_total": len(bonus),
            "bonus_passed": sum(t.passed for t in bonus),
        }

    def by_category(self) -> dict[str, list[TestResult]]:
        groups: dict[str, list[TestResult]] = {c: [] for c in CATEGORIES}
        for test in self.tests:
            groups.setdefault(test.category, []).append(test)
        return {c: tests for c, tests in groups.items() if tests}

    @property
    def speed_ratio(self) -> float | None:
        """The headline speed: the largest candidate/reference time ratio among budgeted timings."""
        ratios = [m.ratio for t in self.tests for m in t.measurements
                  if m.kind == "time" and not m.informational and m.ratio is not None]
        return max(ratios) if ratios else None

    def to_dict(self) -> dict:
        data = asdict(self)
        del data["source"]
        data["passed"] = self.passed
        data["counts"] = self.counts()
        data["speed_ratio"] = self.speed_ratio
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "GradeReport":
        tests = [TestResult.from_dict(t) for t in data.get("tests", [])]
        issues = [Issue(**i) for i in data.get("static_issues", [])]
        keep = {k: data[k] for k in ("challenge_id", "solution_path", "source_sha256", "started_at",
                                     "duration_s", "status", "error", "isolation", "selection", "format_version")
                if k in data}
        return cls(**keep, static_issues=issues, tests=tests)


def _num(value: float | None) -> str:
    if value is None:
        return "?"
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.3g}"


def _ratio(value: float) -> str:
    return f"{value:.1f}x" if value >= 0.995 or value < 0.095 else f"{value:.2f}x"


def _quantity(value: float | None, unit: str) -> str:
    if value is None:
        return "?"
    if unit == "s":
        if value >= 1:
            return f"{value:.2f} s"
        if value >= 1e-3:
            return f"{value * 1e3:.3g} ms"
        return f"{value * 1e6:.3g} µs"
    if unit == "B":
        for scale, name in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
            if value >= scale:
                return f"{value / scale:.3g} {name}"
        return f"{value:.0f} B"
    return f"{_num(value)} {unit}".strip()
