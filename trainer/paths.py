"""Where mltrainer keeps things: content, the progress database, the workspace.

Every location can be overridden by an environment variable, so tests and CI
never touch a user's real files.
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_ENV = "MLTRAINER_DATA_DIR"
WORKSPACE_ENV = "MLTRAINER_WORKSPACE"
CHALLENGE_PATH_ENV = "MLTRAINER_CHALLENGE_PATH"
CONFIG_DIR_ENV = "MLTRAINER_CONFIG_DIR"


def content_root() -> Path:
    """The folder holding the bundled challenges/, graders/ and reference/.

    In an installed wheel they live inside the package (`trainer/_content`);
    in a source checkout they are the repository's top-level folders.
    """
    package = Path(__file__).resolve().parent
    bundled = package / "_content"
    return bundled if (bundled / "challenges").is_dir() else package.parent


def extra_content_roots() -> list[Path]:
    """Study-group packs listed in MLTRAINER_CHALLENGE_PATH (os.pathsep-separated)."""
    value = os.environ.get(CHALLENGE_PATH_ENV, "")
    return [Path(part).expanduser() for part in value.split(os.pathsep) if part.strip()]


def data_dir() -> Path:
    """The user data directory (platformdirs), or MLTRAINER_DATA_DIR."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_path
    return user_data_path("mltrainer", appauthor=False)


def config_dir() -> Path:
    """The user config directory (platformdirs), or MLTRAINER_CONFIG_DIR: the settings file lives here."""
    override = os.environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_config_path
    return user_config_path("mltrainer", appauthor=False)


def database_path() -> Path:
    """The SQLite progress database."""
    return data_dir() / "progress.db"


def workspace_dir(override: str | os.PathLike | None = None) -> Path:
    """Where solution files are written: --workspace, MLTRAINER_WORKSPACE, or ~/mltrainer."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get(WORKSPACE_ENV)
    if env:
        return Path(env).expanduser()
    return Path.home() / "mltrainer"


def display_path(path: Path) -> str:
    """The path as the user would type it: under the home folder it starts with ~."""
    try:
        return "~/" + str(Path(path).relative_to(Path.home()))
    except ValueError:
        return str(path)


def lock_folder() -> Path:
    """Where the machine-wide lock files of grading runs live (CPU claims, timing slots).

    /tmp, not $TMPDIR: every mltrainer process of the user must find the same
    files, whatever its environment says.
    """
    import tempfile

    return Path("/tmp") if Path("/tmp").is_dir() else Path(tempfile.gettempdir())


def user_paths(text: str, path: Path) -> str:
    """Tracebacks and warnings name a worker's private copy of the file; show the user's own path instead."""
    import re
    return re.sub(r"[^\s\"']*/private/" + re.escape(path.name) + r"\b", lambda _: str(path), text)
