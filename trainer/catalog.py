"""The challenge catalog: challenge folders, validated on load.

A challenge is data (see docs/authoring.md): `challenges/<id>/challenge.yaml`,
a Jinja2 stub template beside it, `graders/<id>.py` and `reference/<id>.py`
under the same content root. The bundled root comes first, then the roots
listed in MLTRAINER_CHALLENGE_PATH. Every problem is reported as
`InvalidChallenge(path, line, why)`.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path


from trainer import paths
from trainer.errors import ChallengeNotFound, InvalidChallenge
from trainer.sandbox.limits import FORBIDDEN_IMPORTS, Limits

# Defined here once (the limits and the forbidden imports are the sandbox's:
# trainer.sandbox.limits). DIFFICULTIES is in catalog order.
DIFFICULTIES = ("easy", "medium", "hard")
LEVELS = ("guided", "interview")
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DEFAULT_BUDGETS = {"time": 3.0, "memory": 3.0}

@dataclass(frozen=True)
class ApiName:
    name: str
    signature: str
    bonus: bool = False


@dataclass(frozen=True)
class FollowUpQuestion:
    """A question an interviewer asks after the task, with the key points of a good answer.

    In challenge.yaml a follow-up is a string (the question alone) or a mapping
    ``{question: ..., key_points: [...]}``; the key points are shown after the
    user has rated their own answer in a mock round.
    """

    question: str
    key_points: tuple[str, ...] = ()


@dataclass(frozen=True)
class Challenge:
    id: str
    title: str
    difficulty: str
    topics: tuple[str, ...]
    minutes: int
    summary: str
    description: str
    api: tuple[ApiName, ...]
    allowed_imports: frozenset[str]
    hints: tuple[str, ...]
    follow_ups: tuple[FollowUpQuestion, ...]
    budgets: dict = field(default_factory=dict)
    #: Points per passed test, by category, on a study group's leaderboard (trainer/leaderboard.py).
    points: dict = field(default_factory=dict)
    limits: dict = field(default_factory=dict)
    #: What a solution must not use (precheck.py): names and attributes ("matmul"), "@" for the
    #: matrix-multiplication operator, "name=" for a keyword argument ("optimize=").
    forbidden: tuple[str, ...] = ()
    extra_facts: dict = field(default_factory=dict)
    #: Visible examples (trainer.examples.Example): shown by `show`, run by `try` and by the stub's `__main__`.
    examples: tuple = ()
    folder: Path = Path()
    root: Path = Path()

    @property
    def yaml_path(self) -> Path:
        return self.folder / "challenge.yaml"

    @property
    def stub_path(self) -> Path:
        return self.folder / "stub.py.j2"

    @property
    def grader_path(self) -> Path:
        return self.root / "graders" / f"{self.id}.py"

    @property
    def reference_path(self) -> Path:
        return self.root / "reference" / f"{self.id}.py"

    @property
    def required_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.api if not a.bonus)

    def render_stub(self, level: str = "guided") -> str:
        """The solution file a user starts from, at `level` ('guided' or 'interview')."""
        if level not in LEVELS:
            raise InvalidChallenge(self.stub_path, None, f"unknown level {level!r} (choose {' or '.join(LEVELS)})")
        import jinja2
        env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                                 trim_blocks=True, lstrip_blocks=True, autoescape=False)
        try:
            template = env.from_string(self.stub_path.read_text(encoding="utf-8"))
            from trainer.examples import stub_main_block
            return template.render(level=level, challenge=self,
                                   examples_main=stub_main_block(self.id, self.examples))
        except jinja2.TemplateSyntaxError as exc:
            raise InvalidChallenge(self.stub_path, exc.lineno, f"template error: {exc.message}") from None
        except jinja2.TemplateError as exc:
            raise InvalidChallenge(self.stub_path, None, f"template error: {exc}") from None


class _Fields:
    """Reads a YAML mapping node, reporting problems with the line they are on."""

    def __init__(self, path: Path, node, values) -> None:
        self.path = path
        self.node = node
        import yaml

        if not isinstance(node, yaml.MappingNode) or not isinstance(values, dict):
            raise InvalidChallenge(path, _line(node), "the file must be a mapping of fields (key: value)")
        self.values = values
        self.nodes = {}
        self.key_nodes = {}
        for key_node, value_node in node.value:
            key = key_node.value
            if key in self.nodes:
                raise InvalidChallenge(path, _line(key_node), f"field {key!r} is given twice")
            self.nodes[key] = value_node
            self.key_nodes[key] = key_node

    def fail(self, key: str | None, why: str):
        node = self.nodes.get(key) if key else self.node
        raise InvalidChallenge(self.path, _line(node if node is not None else self.node), why)

    def required(self, key: str):
        if key not in self.values or self.values[key] in (None, ""):
            self.fail(None, f"missing required field {key!r}")
        return self.values[key]

    def string(self, key: str, default: str | None = None) -> str:
        value = self.required(key) if default is None else self.values.get(key, default)
        if not isinstance(value, str):
            self.fail(key, f"{key!r} must be a string, not {type(value).__name__}")
        return value.strip() if key != "description" else value

    def strings(self, key: str, *, required: bool = True) -> tuple[str, ...]:
        value = self.required(key) if required else self.values.get(key, [])
        if value is None:
            value = []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.fail(key, f"{key!r} must be a list of non-empty strings")
        return tuple(v.strip() for v in value)

    def number_map(self, key: str, defaults: dict, *, positive: bool = True, zero: bool = False) -> dict:
        """`key`'s mapping of names to numbers over `defaults`; numbers > 0 (or finite and >= 0 with `zero`)."""
        value = self.values.get(key) or {}
        if not isinstance(value, dict):
            self.fail(key, f"{key!r} must be a mapping of names to numbers")
        merged = dict(defaults)
        for name, number in value.items():
            if not isinstance(number, (int, float)) or isinstance(number, bool) or number != number \
                    or (positive and (number < 0 if zero else number <= 0)) or (zero and number == float("inf")):
                kind = "a finite number of 0 or more" if zero else "a positive number"
                self.fail(key, f"{key}.{name} must be {kind}, not {number!r}")
            merged[str(name)] = number
        return merged


def _line(node) -> int | None:
    mark = getattr(node, "start_mark", None)
    return mark.line + 1 if mark is not None else None


#: A follow-up given as a mapping has these keys, and 1 to MAX_KEY_POINTS key points.
_FOLLOW_UP_KEYS = ("question", "key_points")
MAX_KEY_POINTS = 6


def _follow_ups(fields: _Fields) -> tuple[FollowUpQuestion, ...]:
    """The `follow_ups:` of a challenge: each a question (a string) or {question, key_points}."""
    import yaml

    values = fields.required("follow_ups")
    node = fields.nodes["follow_ups"]
    shape = "a list of questions (strings, or mappings with question: and key_points:)"
    if not isinstance(values, list) or not isinstance(node, yaml.SequenceNode):
        fields.fail("follow_ups", f"follow_ups must be {shape}")
    questions = []
    for entry, value in zip(node.value, values):
        def fail(why: str, at=entry):
            raise InvalidChallenge(fields.path, _line(at), f"follow_ups: {why}")

        if isinstance(value, str):
            if not value.strip():
                fail("a question must not be empty")
            questions.append(FollowUpQuestion(value.strip()))
            continue
        if not isinstance(value, dict) or not isinstance(entry, yaml.MappingNode):
            fail(f"each entry must be a question (a string) or a mapping with question: and key_points:, "
                 f"not {type(value).__name__}")
        keys = {key.value: key for key, _ in entry.value}
        unknown = sorted(set(keys) - set(_FOLLOW_UP_KEYS))
        if unknown:
            fail(f"unknown key(s) in a follow-up: {', '.join(unknown)} (known: {', '.join(_FOLLOW_UP_KEYS)})",
                 keys[unknown[0]])
        question = value.get("question")
        if not isinstance(question, str) or not question.strip():
            fail("a follow-up mapping needs question: (a non-empty string)")
        points = value.get("key_points")
        if not isinstance(points, list) or not 1 <= len(points) <= MAX_KEY_POINTS \
                or not all(isinstance(p, str) and p.strip() for p in points):
            fail(f"key_points of {question.strip()[:40]!r} must be a list of 1 to {MAX_KEY_POINTS} "
                 "non-empty strings (what a good answer covers; a question without them is a plain string)")
        questions.append(FollowUpQuestion(question.strip(), tuple(p.strip() for p in points)))
    if not questions:
        fields.fail("follow_ups", f"follow_ups must be {shape}, with at least one")
    return tuple(questions)


_KNOWN_FIELDS = {
    "id", "title", "difficulty", "topics", "minutes", "summary", "description", "api", "allowed_imports",
    "hints", "follow_ups", "budgets", "points", "limits", "extra_facts", "examples", "forbidden",
}
MAX_EXAMPLES = 4
_EXAMPLE_KEYS = ("call", "expected", "raises", "note", "tolerance")


def load_challenge(folder: Path, root: Path) -> Challenge:
    """Load and validate one challenge folder."""
    path = folder / "challenge.yaml"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidChallenge(path, None, f"cannot read the file: {exc.strerror or exc}") from None
    import yaml   # here, not at the top: the CLI imports this module's constants without loading YAML

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        node = yaml.compose(text, Loader=loader)
        values = yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and context_mark is not None and context_mark is not mark:
            problem += f" ({context.removeprefix('while ')} started on line {context_mark.line + 1})"
        raise InvalidChallenge(path, mark.line + 1 if mark else None, f"invalid YAML: {problem}") from None
    if node is None:
        raise InvalidChallenge(path, 1, "the file is empty")
    fields = _Fields(path, node, values)
    for key in fields.nodes:
        if key not in _KNOWN_FIELDS:
            close = difflib.get_close_matches(key, sorted(_KNOWN_FIELDS), n=1)
            raise InvalidChallenge(path, _line(fields.key_nodes[key]), f"unknown field {key!r}"
                                   + (f" (did you mean {close[0]!r}?)" if close else ""))

    challenge_id = fields.string("id")
    if not ID_PATTERN.match(challenge_id):
        fields.fail("id", f"id {challenge_id!r} must be lowercase letters, digits and underscores")
    if challenge_id != folder.name:
        fields.fail("id", f"id {challenge_id!r} does not match its folder name {folder.name!r}")
    difficulty = fields.string("difficulty")
    if difficulty not in DIFFICULTIES:
        fields.fail("difficulty", f"difficulty must be one of {', '.join(DIFFICULTIES)}, not {difficulty!r}")
    minutes = fields.required("minutes")
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 240:
        fields.fail("minutes", "minutes must be a whole number of minutes between 1 and 240")

    api_value = fields.required("api")
    if not isinstance(api_value, list) or not api_value:
        fields.fail("api", "api must be a non-empty list of {name, signature} entries")
    api = []
    for entry in api_value:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) \
                or not isinstance(entry.get("signature"), str):
            fields.fail("api", "each api entry needs a 'name' and a 'signature' (strings)")
        if not NAME_PATTERN.match(entry["name"]):
            fields.fail("api", f"{entry['name']!r} is not a Python name")
        unknown = set(entry) - {"name", "signature", "bonus"}
        if unknown:
            fields.fail("api", f"unknown key(s) in api entry {entry['name']!r}: {', '.join(sorted(unknown))}")
        api.append(ApiName(entry["name"], entry["signature"].strip(), bool(entry.get("bonus", False))))
    if len({a.name for a in api}) != len(api):
        fields.fail("api", "api names must be unique")

    allowed = set(fields.strings("allowed_imports", required=False))
    forbidden = allowed & FORBIDDEN_IMPORTS
    if forbidden:
        fields.fail("allowed_imports", f"{', '.join(sorted(forbidden))} can never be imported by a solution")

    forbidden_uses = fields.strings("forbidden", required=False)
    bad = [f for f in forbidden_uses if not (f == "@" or f.removesuffix("=").isidentifier())]
    if bad:
        fields.fail("forbidden", f"{', '.join(map(repr, bad))}: each entry is a name, '@' or a keyword "
                                 "argument written 'name='")

    # The sandbox's own defaults (trainer.sandbox.limits.Limits), overridden per challenge.
    default_limits = Limits.defaults()
    limits = fields.number_map("limits", default_limits)
    unknown_limits = set(limits) - set(default_limits)
    if unknown_limits:
        fields.fail("limits", f"unknown limit(s): {', '.join(sorted(unknown_limits))} "
                              f"(known: {', '.join(default_limits)})")
    # Points per passed test on a study group's leaderboard, by test category.
    from trainer.leaderboard import DEFAULT_POINTS
    points = fields.number_map("points", DEFAULT_POINTS, zero=True)
    unknown_categories = set(points) - set(DEFAULT_POINTS)
    if unknown_categories:
        fields.fail("points", f"unknown test categor{'y' if len(unknown_categories) == 1 else 'ies'}: "
                              f"{', '.join(sorted(unknown_categories))} (known: {', '.join(DEFAULT_POINTS)})")
    extra = fields.values.get("extra_facts") or {}
    if not isinstance(extra, dict) or not all(isinstance(v, (str, int, float)) for v in extra.values()):
        fields.fail("extra_facts", "extra_facts must map labels to text or numbers")

    challenge = Challenge(
        id=challenge_id,
        title=fields.string("title"),
        difficulty=difficulty,
        topics=fields.strings("topics"),
        minutes=minutes,
        summary=fields.string("summary", default=""),
        description=fields.string("description"),
        api=tuple(api),
        allowed_imports=frozenset(allowed),
        forbidden=tuple(forbidden_uses),
        hints=fields.strings("hints"),
        follow_ups=_follow_ups(fields),
        budgets=fields.number_map("budgets", DEFAULT_BUDGETS),
        points=points,
        limits=limits,
        extra_facts={str(k): v for k, v in extra.items()},
        examples=_examples(fields, text, api),
        folder=folder,
        root=root,
    )
    for what, file in (("stub template", challenge.stub_path), ("grader", challenge.grader_path),
                       ("reference solution", challenge.reference_path)):
        if not file.is_file():
            raise InvalidChallenge(path, None, f"the {what} is missing: expected {file}")
    return challenge


def _examples(fields: _Fields, text: str, api: list[ApiName]) -> tuple:
    """The `examples:` of a challenge, each call and value checked (trainer.examples), errors at their line."""
    node = fields.nodes.get("examples")
    if node is None or fields.values.get("examples") is None:
        return ()
    import yaml
    from trainer.examples import DEFAULT_ATOL, DEFAULT_RTOL, ExampleSyntaxError, make_example

    if not isinstance(node, yaml.SequenceNode) or not isinstance(fields.values["examples"], list):
        fields.fail("examples", "examples must be a list of {call, expected} entries")
    if len(node.value) > MAX_EXAMPLES:
        fields.fail("examples", f"at most {MAX_EXAMPLES} examples (they are shown with the task): "
                                f"this has {len(node.value)}")
    names = [a.name for a in api]
    examples = []
    for entry in node.value:
        if not isinstance(entry, yaml.MappingNode):
            raise InvalidChallenge(fields.path, _line(entry), "each example is a mapping with call: and expected:")
        parts = {key.value: (key, value) for key, value in entry.value}
        unknown = set(parts) - set(_EXAMPLE_KEYS)
        if unknown:
            raise InvalidChallenge(fields.path, _line(parts[sorted(unknown)[0]][0]),
                                   f"unknown key(s) in an example: {', '.join(sorted(unknown))} "
                                   f"(known: {', '.join(_EXAMPLE_KEYS)})")
        if "call" not in parts:
            raise InvalidChallenge(fields.path, _line(entry), "an example needs a call: (a call of "
                                                             f"{' or '.join(names)})")
        if "expected" in parts and "raises" in parts:
            raise InvalidChallenge(fields.path, _line(parts["raises"][0]),
                                   "an example has expected: or raises:, not both")
        if "expected" not in parts and "raises" not in parts:
            raise InvalidChallenge(fields.path, _line(entry), "an example needs expected: (the value the call "
                                                             "returns) or raises: (the exception it raises)")
        strings = {key: _source_text(value, text) for key, (_, value) in parts.items() if key != "tolerance"}
        for key, value in strings.items():
            if value is None:
                raise InvalidChallenge(fields.path, _line(parts[key][1]),
                                       f"example {key}: must be one line of text (quote it if YAML reads it "
                                       "otherwise)")
        rtol, atol = DEFAULT_RTOL, DEFAULT_ATOL
        if "tolerance" in parts:
            rtol, atol = _tolerance(fields.path, parts["tolerance"][1])
        try:
            example = make_example(strings["call"], names, expected=strings.get("expected"),
                                   raises=strings.get("raises"), note=strings.get("note", ""), rtol=rtol, atol=atol)
        except ExampleSyntaxError as exc:
            part = exc.part if exc.part in parts else "call"
            raise InvalidChallenge(fields.path, _line(parts[part][1]), f"example {part}: {exc.why}") from None
        examples.append(example)
    return tuple(examples)


def _source_text(node, text: str) -> str | None:
    """A YAML value as the text written: a scalar's text, or a flow [list] / {dict} as it stands; None otherwise."""
    import yaml
    if isinstance(node, yaml.ScalarNode):
        value = node.value
    elif isinstance(node, (yaml.SequenceNode, yaml.MappingNode)) and node.flow_style:
        value = text[node.start_mark.index:node.end_mark.index]
    else:
        return None
    return value.strip() if value.strip() and "\n" not in value.strip() else None


def _tolerance(path: Path, node) -> tuple[float, float]:
    """`tolerance: 1e-4` (both rtol and atol) or `tolerance: {rtol: ..., atol: ...}`."""
    import yaml
    from trainer.examples import DEFAULT_ATOL, DEFAULT_RTOL

    def number(item) -> float:
        try:
            value = float(item.value) if isinstance(item, yaml.ScalarNode) else float("nan")
        except ValueError:
            value = float("nan")
        if not (value >= 0 and value != float("inf")):
            raise InvalidChallenge(path, _line(item), "an example's tolerance must be a finite number of 0 or more")
        return value
    if isinstance(node, yaml.ScalarNode):
        value = number(node)
        return value, value
    if isinstance(node, yaml.MappingNode):
        given = {key.value: number(value) for key, value in node.value}
        if not given or set(given) - {"rtol", "atol"}:
            raise InvalidChallenge(path, _line(node), "an example's tolerance is a number, or {rtol: ..., atol: ...}")
        return given.get("rtol", DEFAULT_RTOL), given.get("atol", DEFAULT_ATOL)
    raise InvalidChallenge(path, _line(node), "an example's tolerance is a number, or {rtol: ..., atol: ...}")


class Catalog:
    """All challenges from the bundled content root and the extra packs."""

    def __init__(self, challenges: list[Challenge]) -> None:
        self.challenges = sorted(challenges, key=lambda c: (DIFFICULTIES.index(c.difficulty), c.id))
        self._by_id = {c.id: c for c in challenges}

    def __iter__(self):
        return iter(self.challenges)

    def __len__(self) -> int:
        return len(self.challenges)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.challenges)

    def get(self, challenge_id: str) -> Challenge:
        try:
            return self._by_id[challenge_id]
        except KeyError:
            key = challenge_id.strip().lower().replace("-", "_")
            if key in self._by_id:
                return self._by_id[key]
            close = difflib.get_close_matches(key, list(self._by_id), n=1, cutoff=0.5)
            if not close:
                close = [c for c in self._by_id if c.startswith(key[:3])][:1] if len(key) >= 3 else []
            raise ChallengeNotFound(challenge_id, close[0] if close else None, self.ids) from None


def load_catalog(roots: list[Path] | None = None) -> Catalog:
    """Load every challenge under the content roots (bundled first, then packs)."""
    if roots is None:
        roots = [paths.content_root(), *paths.extra_content_roots()]
    found: dict[str, Challenge] = {}
    for root in roots:
        root = Path(root).resolve()
        challenges_dir = root / "challenges"
        if not challenges_dir.is_dir():
            raise InvalidChallenge(root, None, "not a challenge pack: it has no challenges/ folder "
                                               f"(check {paths.CHALLENGE_PATH_ENV})")
        for folder in sorted(p for p in challenges_dir.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
            if not (folder / "challenge.yaml").exists():
                continue
            challenge = load_challenge(folder, root)
            if challenge.id in found:
                raise InvalidChallenge(challenge.yaml_path, None,
                                       f"challenge id {challenge.id!r} is already defined in "
                                       f"{found[challenge.id].yaml_path}")
            found[challenge.id] = challenge
    return Catalog(list(found.values()))
