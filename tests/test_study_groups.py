"""docs/study-groups.md, run as CI would run it, on the fixture roster.

The GitHub Actions workflow and the GitLab CI pipeline are read from the doc
(the fenced YAML blocks whose first line names the file, as `.ci/run` reads
its test line from the README), and the shell commands of their jobs are run
as written: each job in a fresh copy of the group's repository
(tests/fixtures/study_group/: a roster and the group's own pack, `rowsum`),
one job per shard of the matrix, artifacts carried from job to job as the
doc's upload and download steps say, then the merge job. Only the step that
installs mltrainer is left out: `mltrainer` here is this checkout's.

The roster: alice passes (bonus too), bob fails an edge case, carol has a
syntax error, dave handed nothing in, erin named her file Rowsum.py, frank's
file is a symlink to the pack's reference, and mallory's file is written to
cheat (forge a passing result, overwrite the others' files, kill the grader).
The merged leaderboard must say exactly that, with the points of the pack's
`points:`, and no file of the repository may change.
"""

from __future__ import annotations

import ast
import fnmatch
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from tests.helpers import FIXTURES, REPO
from trainer.leaderboard import DEFAULT_POINTS, FORMULA, Leaderboard
from trainer.sandbox.confine import probe

DOC = REPO / "docs" / "study-groups.md"
GROUP = FIXTURES / "study_group"
GITHUB_WORKFLOW = "# .github/workflows/leaderboard.yml"
GITLAB_PIPELINE = "# .gitlab-ci.yml"
INSTALL = 'pip install "$MLTRAINER_SOURCE"'
MEMBERS = ["alice", "bob", "carol", "dave", "erin", "frank", "mallory"]
SPEED_TEST = "Row sums of a 400x2000 matrix within budget"
#: The only folders a CI job may add to the repository: the boards it writes.
OUTPUTS = ("boards", "leaderboard")

_ABI, _SECCOMP, _WHY = probe()
needs_confinement = pytest.mark.skipif(not (_ABI and _SECCOMP), reason=f"needs Landlock and seccomp: {_WHY}")


# ------------------------------------------------------------------ the doc

def doc_block(first_line: str) -> str:
    """The fenced block of docs/study-groups.md whose first line is `first_line`."""
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```$", DOC.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL)
    found = [b for b in blocks if b.splitlines()[0].strip() == first_line]
    assert len(found) == 1, f"docs/study-groups.md needs one fenced block starting with {first_line!r}"
    return found[0]


def github_workflow() -> dict:
    return yaml.safe_load(doc_block(GITHUB_WORKFLOW))


def gitlab_pipeline() -> dict:
    return yaml.safe_load(doc_block(GITLAB_PIPELINE))


_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def expand(text, context: dict[str, object]) -> str:
    """GitHub's `${{ name }}` expressions, from `context` (an unknown one fails the test)."""
    def value(match: re.Match) -> str:
        assert match.group(1) in context, f"the workflow uses ${{{{ {match.group(1)} }}}}, unknown to this test"
        return str(context[match.group(1)])
    return _EXPRESSION.sub(value, str(text))


def expand_gitlab(text: str, variables: dict[str, str]) -> str:
    """GitLab's `$NAME` / `${NAME}` in a variable's value."""
    return re.sub(r"\$\{?(\w+)\}?", lambda m: variables.get(m.group(1), m.group(0)), text)


# -------------------------------------------------------------- the runner

def checkout(dest: Path) -> Path:
    """A fresh copy of the group's repository, as a CI job gets it."""
    shutil.copytree(GROUP, dest, symlinks=True)
    hostile = dest / "roster" / "mallory" / "rowsum.py"
    hostile.write_text(hostile.read_text().replace("@ROSTER@", str(dest / "roster")))
    # frank hands in the reference itself, through a symlink out of his folder.
    (dest / "roster" / "frank").mkdir()
    (dest / "roster" / "frank" / "rowsum.py").symlink_to(Path("..", "..", "pack", "reference", "rowsum.py"))
    return dest


def fingerprint(root: Path) -> dict[str, str]:
    """SHA-256 of every file under `root` (a symlink: its target's name), by relative path."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            key = str(path.relative_to(root))
            if path.is_symlink():
                found[key] = "symlink to " + os.readlink(path)
            elif path.is_file():
                found[key] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                found[key] = "folder"
    return found


def assert_only_outputs_added(before: dict[str, str], after: dict[str, str]) -> None:
    changed = sorted(k for k in before if after.get(k) != before[k])
    assert not changed, f"files of the repository changed or disappeared: {changed}"
    added = sorted(k for k in set(after) - set(before) if Path(k).parts[0] not in OUTPUTS)
    assert not added, f"files appeared outside {OUTPUTS}: {added}"


def mltrainer_on_path(bin_dir: Path) -> str:
    """A PATH whose `mltrainer` is this checkout's, run by this Python."""
    bin_dir.mkdir(exist_ok=True)
    shim = bin_dir / "mltrainer"
    shim.write_text(f'#!/bin/sh\nPYTHONPATH={shlex.quote(str(REPO))} exec {shlex.quote(sys.executable)} '
                    f'-m trainer "$@"\n')
    shim.chmod(0o755)
    return f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"


def run_shell(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """A step's commands as a CI runner runs them: bash, stop at the first failure."""
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def ci_environment(path: str, **extra: str) -> dict[str, str]:
    """This process's environment without any CI's variables, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "CI_", "RUNNER_"))}
    env.pop("CI", None)
    env.update(PATH=path, **extra)
    return env


class Artifacts:
    """What upload steps store and download steps bring back, by artifact name."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def upload(self, name: str, workspace: Path, paths: list[str]) -> None:
        store = self.root / name
        assert not store.exists(), f"artifact {name!r} uploaded twice"
        for pattern in paths:
            matches = sorted(workspace.glob(pattern))
            assert matches, f"artifact {name!r}: nothing at {pattern}"
            for found in matches:
                if found.is_dir():
                    shutil.copytree(found, store, dirs_exist_ok=True)   # a folder: its contents
                else:
                    store.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(found, store / found.name)          # one file: at the artifact's root

    def download(self, pattern: str, dest: Path) -> list[str]:
        names = sorted(p.name for p in self.root.iterdir() if fnmatch.fnmatch(p.name, pattern))
        for name in names:
            shutil.copytree(self.root / name, dest, dirs_exist_ok=True)   # merge-multiple
        return names


Log = list[tuple[str, subprocess.CompletedProcess]]


def run_github_job(workflow: dict, job_name: str, workspace: Path, context: dict[str, object],
                   artifacts: Artifacts, base_env: dict[str, str], summary: Path) -> Log:
    """Run the steps of one job (one matrix entry) as GitHub would: (step name, result) of each `run:`."""
    job = workflow["jobs"][job_name]
    env = dict(base_env, GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary), GITHUB_WORKSPACE=str(workspace))
    for scope in (workflow.get("env") or {}, job.get("env") or {}):
        env.update({k: expand(v, context) for k, v in scope.items()})
    results = []
    for step in job["steps"]:
        name = expand(step.get("name", step.get("uses", "")), context)
        uses = step.get("uses", "")
        given = {k: expand(v, context) for k, v in (step.get("with") or {}).items()}
        if uses.startswith(("actions/checkout@", "actions/setup-python@")):
            continue   # the workspace is a fresh checkout; Python is this one
        if uses.startswith("actions/upload-artifact@"):
            artifacts.upload(given["name"], workspace, given["path"].split())
        elif uses.startswith("actions/download-artifact@"):
            assert str(given.get("merge-multiple")).lower() == "true"
            assert artifacts.download(given["pattern"], workspace / given["path"]), f"{name}: no artifact"
        elif "run" in step:
            command = expand(step["run"], context)
            if step.get("name") == "Install mltrainer":
                assert command.strip() == INSTALL, command
                continue
            step_env = dict(env, **{k: expand(v, context) for k, v in (step.get("env") or {}).items()})
            result = run_shell(command, workspace, step_env)
            assert result.returncode == 0, (name, command, result.stdout[-3000:], result.stderr[-3000:])
            results.append((name, result))
        else:
            raise AssertionError(f"step {name!r} of job {job_name!r}: unknown to this test ({uses})")
    return results


# ---------------------------------------------------------- what we expect

def row_sums_line(path: Path) -> int:
    tree = ast.parse(path.read_text())
    return next(node.lineno for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "row_sums")


def check_merged_board(data: dict) -> Leaderboard:
    """The verdicts, points and ranks of the fixture roster."""
    board = Leaderboard.from_dict(data)
    assert board.members == MEMBERS
    assert board.challenges == ["rowsum"]
    assert board.shard is None and board.complete
    # The pack's own points (challenge.yaml), stability at its default.
    assert board.points == {"rowsum": {"correctness": 3.0, "edge_case": 1.0, "stability": 1.0, "performance": 2.0}}
    cells = {member: board.cell(member, "rowsum") for member in MEMBERS}

    alice = cells["alice"]
    assert (alice.verdict, alice.tests_passed, alice.tests_total) == ("passed", 4, 4)
    assert alice.points == 3 + 1 + 1 + 2 + 3          # the bonus test counts like the others
    assert alice.speed_ratio is not None and alice.file == "alice/rowsum.py"

    bob = cells["bob"]
    # An edge case fails, so the speed test is not run (no performance points).
    assert (bob.verdict, bob.tests_passed, bob.tests_total, bob.points) == ("failed", 2, 4, 4)
    assert [(t.name, t.outcome) for t in bob.report.tests if not t.passed] == [
        ("Bonus: norm of (3, 4) is 5", "failed"), ("Integer input gives float64 sums", "failed"),
        (SPEED_TEST, "skipped")]

    carol = cells["carol"]
    assert (carol.verdict, carol.points) == ("rejected", 0)
    assert "syntax error" in carol.note and "line 5" in carol.note

    assert (cells["dave"].verdict, cells["dave"].points, cells["dave"].report) == ("no submission", 0, None)
    assert (cells["erin"].verdict, cells["erin"].report) == ("no submission", None)
    assert "did you mean rowsum.py?" in cells["erin"].note
    frank = cells["frank"]
    assert (frank.verdict, frank.points, frank.report) == ("refused", 0, None)
    assert "symlink to a file outside frank/" in frank.note

    mallory = cells["mallory"]
    assert mallory.verdict == "failed", "a file written to cheat must not pass"
    assert (mallory.tests_passed, mallory.points) == (0, 0)
    messages = {t.name: t.message for t in mallory.report.tests}
    # Every attack was refused by the sandbox, and the verdict is the engine's own.
    assert "allowed: none" in messages["Row sums match numpy's"], messages
    assert "landlock" in mallory.report.isolation

    assert board.standings() == [(1, "alice", 10), (2, "bob", 4), (3, "carol", 0), (3, "dave", 0),
                                 (3, "erin", 0), (3, "frank", 0), (3, "mallory", 0)]
    return board


def check_shards(boards: list[dict], n: int) -> None:
    """Shard i holds exactly the sorted pairs k with k % n == i - 1."""
    pairs = sorted((m, "rowsum") for m in MEMBERS)
    by_shard = {tuple(b["shard"]): {(c["member"], c["challenge_id"]) for c in b["cells"]} for b in boards}
    assert sorted(by_shard) == [(i, n) for i in range(1, n + 1)]
    for (i, _), cells in by_shard.items():
        assert cells == {p for k, p in enumerate(pairs) if k % n == i - 1}


def annotations(output: str) -> list[dict]:
    """The `::error` lines of a log, as {file, line, title, message}."""
    found = []
    for line in output.splitlines():
        if line.startswith("::error "):
            properties, _, message = line[len("::error "):].partition("::")
            fields = dict(p.split("=", 1) for p in properties.split(","))
            found.append({**fields, "message": message})
    return found


# ------------------------------------------------------------------- tests

@needs_confinement
@pytest.mark.slow
def test_github_actions_workflow_of_the_doc(tmp_path, isolated_dirs):
    from trainer import render_board
    workflow = github_workflow()
    shards = workflow["jobs"]["grade"]["strategy"]["matrix"]["shard"]
    assert len(shards) >= 2
    path = mltrainer_on_path(tmp_path / "bin")
    base_env = ci_environment(path)
    artifacts = Artifacts(tmp_path / "artifacts")
    logs = []

    for shard in shards:
        workspace = checkout(tmp_path / f"grade-{shard}")
        before = fingerprint(workspace)
        context = {"matrix.shard": shard, "strategy.job-total": len(shards), "github.workspace": workspace}
        summary = tmp_path / f"summary-grade-{shard}.md"
        logs += run_github_job(workflow, "grade", workspace, context, artifacts, base_env, summary)
        assert_only_outputs_added(before, fingerprint(workspace))
        assert summary.read_text(encoding="utf-8").startswith("## Leaderboard")   # its own part of the board

    workspace = checkout(tmp_path / "leaderboard")
    before = fingerprint(workspace)
    summary = tmp_path / "summary-leaderboard.md"
    merge_logs = run_github_job(workflow, "leaderboard", workspace, {"github.workspace": workspace}, artifacts,
                                base_env, summary)
    assert_only_outputs_added(before, fingerprint(workspace))
    assert any(" merge " in f" {result.args[-1]} " for _, result in merge_logs)

    # Every shard's board was downloaded; their merge is the whole roster, graded as it should be.
    boards = sorted((workspace / "boards").glob("*.json"))
    assert len(boards) == len(shards)
    check_shards([json.loads(b.read_text()) for b in boards], len(shards))
    merged = subprocess.run(["mltrainer", "merge", *map(str, boards), "--format", "json"], cwd=workspace,
                            env=base_env, capture_output=True, text=True, timeout=120)
    assert merged.returncode == 0, merged.stderr
    board = check_merged_board(json.loads(merged.stdout))

    # The merge job's summary page got the whole board in Markdown, by itself.
    markdown = summary.read_text(encoding="utf-8")
    assert markdown == render_board.to_markdown(board)
    for row in ("| `alice` | ✓ 4/4", "| `bob` | ✗ 2/4", "| `carol` | ✗ rejected | 0 |",
                "| `dave` | – no submission | 0 |", "| `erin` | – no submission | 0 |",
                "| `frank` | ✗ refused | 0 |", "| `mallory` | ✗ 0/4 | 0 |", "| 1 | `alice` | 10 |",
                "| 2 | `bob` | 4 |", FORMULA):
        assert row in markdown, row
    # The merge step's log has the text board; the HTML board is the `leaderboard` artifact.
    assert all(m in merge_logs[-1][1].stdout for m in MEMBERS)
    html = (artifacts.root / "leaderboard" / "index.html").read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html>") and all(m in html for m in MEMBERS)

    # Annotations on the failing members' files, at the line of the code under test, from the shard jobs.
    found = annotations("".join(result.stdout for _, result in logs))
    files = {a["file"] for a in found}
    assert files == {"roster/bob/rowsum.py", "roster/carol/rowsum.py", "roster/mallory/rowsum.py"}, found
    assert {a["line"] for a in found if a["file"] == "roster/carol/rowsum.py"} == {"5"}
    hostile = tmp_path / "grade-1" / "roster" / "mallory" / "rowsum.py"
    assert str(row_sums_line(hostile)) in {a["line"] for a in found if a["file"] == "roster/mallory/rowsum.py"}
    assert not annotations("".join(result.stdout for _, result in merge_logs))   # no duplicates from merge
    # Nothing of it reached the progress of whoever ran it.
    assert not isolated_dirs["data"].exists()


@needs_confinement
@pytest.mark.slow
def test_gitlab_ci_pipeline_of_the_doc(tmp_path, isolated_dirs):
    pipeline = gitlab_pipeline()
    assert pipeline["default"]["before_script"] == [INSTALL]   # the install, not run here
    grade, leaderboard = pipeline["grade"], pipeline["leaderboard"]
    assert pipeline["stages"] == [grade["stage"], leaderboard["stage"]]
    total = int(grade["parallel"])
    assert total >= 2
    path = mltrainer_on_path(tmp_path / "bin")
    artifacts = tmp_path / "artifacts"

    def run_job(job: dict, workspace: Path, **variables: str) -> list[subprocess.CompletedProcess]:
        variables = dict(variables, CI_PROJECT_DIR=str(workspace))
        for name, value in pipeline["variables"].items():
            variables[name] = expand_gitlab(str(value), variables)
        env = ci_environment(path, CI="true", **variables)
        results = []
        for line in job["script"]:
            result = run_shell(line, workspace, env)
            assert result.returncode == 0, (line, result.stdout[-3000:], result.stderr[-3000:])
            assert "::error" not in result.stdout   # annotations are GitHub's
            results.append(result)
        return results

    for index in range(1, total + 1):
        workspace = checkout(tmp_path / f"grade-{index}")
        before = fingerprint(workspace)
        run_job(grade, workspace, CI_NODE_INDEX=str(index), CI_NODE_TOTAL=str(total))
        assert_only_outputs_added(before, fingerprint(workspace))
        for pattern in grade["artifacts"]["paths"]:   # a later stage gets the earlier stages' artifacts
            for found in workspace.glob(pattern.rstrip("/")):
                shutil.copytree(found, artifacts / found.relative_to(workspace), dirs_exist_ok=True)

    workspace = checkout(tmp_path / "leaderboard")
    shutil.copytree(artifacts, workspace, dirs_exist_ok=True)
    before = fingerprint(workspace)
    run_job(leaderboard, workspace)
    assert_only_outputs_added(before, fingerprint(workspace))
    assert len(list((workspace / "boards").glob("*.json"))) == total

    # The JUnit report GitLab reads: a suite per member/challenge, failures where the board has them.
    junit = workspace / leaderboard["artifacts"]["reports"]["junit"]
    suites = {s.get("name"): s for s in ET.parse(junit).getroot().iter("testsuite")}
    assert sorted(suites) == [f"{m}/rowsum" for m in MEMBERS]
    failures = {name: int(s.get("failures")) + int(s.get("errors")) for name, s in suites.items()}
    assert failures["alice/rowsum"] == 0 and failures["bob/rowsum"] == 1
    # mallory fails all three tests she runs; the speed test is then not run.
    assert failures["carol/rowsum"] >= 1 and failures["frank/rowsum"] >= 1 and failures["mallory/rowsum"] >= 3
    assert failures["dave/rowsum"] == failures["erin/rowsum"] == 0   # no submission: skipped
    html = next(p for p in (workspace / "leaderboard").glob("*.html"))
    assert all(m in html.read_text(encoding="utf-8") for m in MEMBERS)
    assert not isolated_dirs["data"].exists()


# ------------------------------------------------------ quick: the doc itself

def _click_command(name: str):
    from trainer.cli import cli
    command = cli.get_command(None, name)
    assert command is not None, f"the doc runs `mltrainer {name}`, which does not exist"
    return command


def doc_commands() -> list[str]:
    """Every mltrainer command line of the doc: bash blocks, and the CI files' steps (expressions filled in)."""
    text = DOC.read_text(encoding="utf-8")
    lines = [line for block in re.findall(r"^```bash\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)
             for line in block.splitlines()]
    workflow = github_workflow()
    context = {"matrix.shard": 1, "strategy.job-total": 3, "github.workspace": "/w"}
    for job in workflow["jobs"].values():
        lines += [expand(step["run"], context) for step in job["steps"] if "run" in step]
    pipeline = gitlab_pipeline()
    ci_variables = {"CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "3", "CI_PROJECT_DIR": "/w"}
    lines += [expand_gitlab(line, ci_variables) for job in pipeline.values() if isinstance(job, dict)
              for line in job.get("script", [])]
    return [line.strip() for line in lines if "mltrainer " in line and not line.lstrip().startswith("#")]


def test_every_command_of_the_doc_parses():
    """Each `mltrainer ...` line of the doc is accepted by the command line as it is today."""
    commands = doc_commands()
    assert sum("grade --roster" in c for c in commands) >= 3 and sum("merge " in c for c in commands) >= 3
    for line in commands:
        words = shlex.split(line)
        words = words[words.index("mltrainer") + 1:]
        command = _click_command(words[0])
        try:
            command.make_context(words[0], words[1:])
        except Exception as exc:   # click's usage errors
            pytest.fail(f"`{line}` in docs/study-groups.md: {exc}")


def test_the_doc_states_the_formula_and_default_points():
    text = DOC.read_text(encoding="utf-8")
    assert FORMULA in text
    for category, points in DEFAULT_POINTS.items():
        assert f"| {category} | {points} |" in text


def test_the_workflows_use_every_shard_and_publish_the_board():
    workflow = github_workflow()
    grade_job, merge_job = workflow["jobs"]["grade"], workflow["jobs"]["leaderboard"]
    assert merge_job["needs"] == "grade"
    grade_runs = " ".join(s["run"] for s in grade_job["steps"] if "run" in s)
    assert "--shard ${{ matrix.shard }}/${{ strategy.job-total }}" in grade_runs
    assert "--format json --output" in grade_runs   # stdout stays free for the annotations
    uploads = [s for s in merge_job["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert uploads and uploads[0]["with"]["path"].endswith(".html")
    pipeline = gitlab_pipeline()
    assert '--shard "$CI_NODE_INDEX/$CI_NODE_TOTAL"' in " ".join(pipeline["grade"]["script"])


def test_readme_lists_the_doc_and_the_commands():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "docs/study-groups.md" in readme
    assert "`mltrainer grade --roster DIR" in readme and "`mltrainer merge " in readme
