"""The catalog: loading, validation with path:line messages, packs, lookups."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from trainer.catalog import load_catalog
from trainer.errors import ChallengeNotFound, InvalidChallenge

from tests.helpers import TOY_PACK


@pytest.fixture
def pack(tmp_path) -> Path:
    root = tmp_path / "pack"
    shutil.copytree(TOY_PACK, root)
    return root


def yaml_path(pack: Path) -> Path:
    return pack / "challenges" / "toy" / "challenge.yaml"


def edit(pack: Path, old: str, new: str) -> None:
    path = yaml_path(pack)
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_bundled_catalog_loads_and_every_challenge_is_complete():
    catalog = load_catalog()
    assert "kmeans" in catalog.ids
    for challenge in catalog:
        assert challenge.grader_path.is_file() and challenge.reference_path.is_file()
        assert challenge.hints and challenge.follow_ups and challenge.description.strip()


def test_toy_pack_loads(pack):
    challenge = load_catalog([pack]).get("toy")
    assert challenge.title == "Toy vector sum"
    assert challenge.required_names == ("row_sums", "scale")
    assert challenge.limits["call_timeout"] == 3 and challenge.limits["memory_mb"] == 2048
    assert challenge.budgets == {"time": 3.0, "memory": 3.0}


@pytest.mark.parametrize("old, new, line, why", [
    ("difficulty: easy", "difficulty: trivial", 4, "difficulty must be one of easy, medium, hard"),
    ("minutes: 5", "minutes: five", 6, "minutes must be a whole number"),
    ("id: toy", "id: other", 2, "does not match its folder name"),
    ("hints:\n", "hintz:\n", 20, "unknown field 'hintz' (did you mean 'hints'?)"),
    ("title: Toy vector sum\n", "", None, "missing required field 'title'"),
    ("  time: 3.0", "  time: -1", 26, "budgets.time must be a positive number"),
    ("  call_timeout: 3", "  call_timeot: 3", 29, "unknown limit(s): call_timeot"),
    ("allowed_imports: [numpy,", "allowed_imports: [reference, numpy,", 19, "reference can never be imported"),
    ("topics: [testing]", "topics: [testing", 6, "sequence started on line 5"),
])
def test_broken_yaml_says_path_line_and_what(pack, old, new, line, why):
    edit(pack, old, new)
    with pytest.raises(InvalidChallenge) as info:
        load_catalog([pack])
    message = str(info.value)
    assert why in message
    expected_where = f"{yaml_path(pack)}:{line}:" if line else f"{yaml_path(pack)}"
    assert message.startswith(expected_where), message


def test_missing_grader_is_reported(pack):
    (pack / "graders" / "toy.py").unlink()
    with pytest.raises(InvalidChallenge, match="the grader is missing"):
        load_catalog([pack])


def test_template_error_gives_the_template_line(pack):
    stub = pack / "challenges" / "toy" / "stub.py.j2"
    stub.write_text("import numpy\n{% if level == 'guided' %}\nx = 1\n")
    challenge = load_catalog([pack]).get("toy")
    with pytest.raises(InvalidChallenge) as info:
        challenge.render_stub("guided")
    assert f"{stub}:" in str(info.value) and "template error" in str(info.value)


def test_study_group_pack_loads_from_the_environment(pack, monkeypatch):
    monkeypatch.setenv("MLTRAINER_CHALLENGE_PATH", str(pack))
    catalog = load_catalog()
    assert "toy" in catalog.ids and "kmeans" in catalog.ids
    assert catalog.get("toy").root == pack.resolve()


def test_a_pack_path_without_challenges_is_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("MLTRAINER_CHALLENGE_PATH", str(tmp_path))
    with pytest.raises(InvalidChallenge, match="not a challenge pack"):
        load_catalog()


def test_duplicate_ids_across_packs_are_reported(pack):
    with pytest.raises(InvalidChallenge, match="already defined"):
        load_catalog([pack, pack.parent / "copy" if shutil.copytree(pack, pack.parent / "copy") else pack])


def test_unknown_id_suggests_the_nearest():
    catalog = load_catalog()
    with pytest.raises(ChallengeNotFound, match="did you mean 'kmeans'"):
        catalog.get("kmean")
    assert catalog.get("KMeans").id == "kmeans"


def test_stub_renders_at_both_levels(pack):
    challenge = load_catalog([pack]).get("toy")
    guided, interview = challenge.render_stub("guided"), challenge.render_stub("interview")
    assert "TODO" in guided and "TODO" not in interview
    with pytest.raises(InvalidChallenge, match="unknown level"):
        challenge.render_stub("expert")


def test_the_readme_lists_every_bundled_challenge():
    from tests.helpers import REPO
    from trainer import paths
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    bundled = list(load_catalog([paths.content_root()]))
    assert len(bundled) >= 15
    missing = [c.id for c in bundled if f"| `{c.id}` | {c.title} |" not in readme]
    assert not missing, f"README.md's table of challenges lacks {missing}"


@pytest.mark.parametrize("challenge", load_catalog(), ids=lambda c: c.id)
def test_every_description_says_what_may_be_imported(challenge):
    """The pre-run check refuses imports outside `allowed_imports`: the task must say so, naming each one."""
    text = " ".join(challenge.description.split())
    assert "may be imported" in text, f"{challenge.id}: the description does not say what may be imported"
    missing = [name for name in challenge.allowed_imports if f"`{name}`" not in text]
    assert not missing, f"{challenge.id}: allowed_imports {missing} are not named in the description"
