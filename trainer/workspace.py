"""The workspace: a plain folder of solution files the user edits with any editor.

A solution lives at `<workspace>/<challenge id>.py`. Starting a challenge never
overwrites an existing solution unless forced, and even then the old file is
kept beside it as a timestamped backup.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from trainer import paths
from trainer.catalog import Challenge
from trainer.errors import SolutionExists


def solution_path(challenge: Challenge | str, workspace: str | os.PathLike | None = None) -> Path:
    """Where the user's solution for `challenge` lives."""
    challenge_id = challenge if isinstance(challenge, str) else challenge.id
    return paths.workspace_dir(workspace) / f"{challenge_id}.py"


def start_challenge(challenge: Challenge, level: str = "guided", force: bool = False,
                    workspace: str | os.PathLike | None = None) -> Path:
    """Render the stub into the workspace and return its path.

    Raises SolutionExists when a solution is already there and `force` is false.
    With `force`, the previous file is renamed to `<id>.py.<timestamp>.bak`.
    """
    text = challenge.render_stub(level)
    target = solution_path(challenge, workspace)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        if not force:
            raise SolutionExists(target)
        backup = target.with_name(f"{target.name}.{time.strftime('%Y%m%d-%H%M%S')}.bak")
        target.replace(backup)
    # Write to a temporary file first, so an interrupted write never leaves half a stub.
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    return target
