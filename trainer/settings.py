"""The few choices mltrainer remembers between runs: the app's theme and the default stub level.

They live in a small JSON file, ``settings.json`` in the platform's config
folder (:func:`trainer.paths.config_dir`; ``MLTRAINER_CONFIG_DIR`` overrides
it), for instance::

    {"theme": "light", "stub_level": "interview"}

Settings are a convenience, so nothing about the file may stop the program:
a missing, unreadable or damaged file gives the defaults, a value that is not
one of the choices gives that setting's default (the others are kept), and
saving to a folder that cannot be written returns a sentence to show instead
of raising. Keys this version does not know are kept when saving, so an older
and a newer mltrainer can share the file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

from trainer.catalog import LEVELS
from trainer.paths import config_dir

#: The file's name inside the config folder.
SETTINGS_FILE = "settings.json"

#: The app's themes, by the names `mltrainer tui --theme` takes.
THEME_NAMES = ("dark", "light")

#: The choices of each setting (the first is the default).
CHOICES: dict[str, tuple[str, ...]] = {"theme": THEME_NAMES, "stub_level": tuple(LEVELS)}


@dataclass(frozen=True)
class Settings:
    """What is remembered: the app's theme and the stub level `s` (and `start`) use by default."""

    theme: str = THEME_NAMES[0]
    stub_level: str = LEVELS[0]


def settings_path() -> Path:
    """Where the settings file is (it may not exist)."""
    return config_dir() / SETTINGS_FILE


def _read_raw(path: Path) -> dict:
    """The file's JSON object; {} when it is missing, unreadable, not JSON or not an object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def load_settings(path: Path | None = None) -> Settings:
    """The remembered settings; the default of every setting the file does not hold validly."""
    try:
        raw = _read_raw(settings_path() if path is None else path)
    except (OSError, RuntimeError):   # no home folder to find the config folder in
        raw = {}
    chosen = {f.name: raw[f.name] for f in fields(Settings)
              if isinstance(raw.get(f.name), str) and raw[f.name] in CHOICES[f.name]}
    return Settings(**chosen)


def save_settings(settings: Settings, path: Path | None = None) -> str | None:
    """Write the settings (atomically); None when done, else why not, in one sentence to show.

    Never raises for the file system's reasons: a settings file that cannot
    be written costs the user the memory of a choice, nothing else.
    """
    try:
        path = settings_path() if path is None else path
        data = _read_raw(path)
        data.update({f.name: getattr(settings, f.name) for f in fields(Settings)})
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            temporary.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
    except (OSError, RuntimeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        return f"could not save the settings{f' to {path}' if path else ''}: {reason}"
    return None


def remember(current: Settings | None = None, path: Path | None = None,
             **changes: str) -> tuple[Settings, str | None]:
    """Change some settings and save them: (the settings now, why they could not be saved or None).

    `current`: the settings in use (default: the file's), so a choice that
    could not be saved earlier is kept while the program runs. A value that
    is not one of the setting's choices is a programming error (ValueError).
    """
    for name, value in changes.items():
        if value not in CHOICES.get(name, ()):
            raise ValueError(f"{name} must be one of {CHOICES.get(name)}, not {value!r}")
    settings = replace(load_settings(path) if current is None else current, **changes)
    return settings, save_settings(settings, path)
