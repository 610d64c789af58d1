"""What every worker is held to, defined once: its resource limits and the packages it may never import.

The catalog builds a challenge's `limits` (challenge.yaml) from these
defaults and refuses `allowed_imports` that name a forbidden package; the
pre-run checks (`trainer.precheck`) refuse a solution that imports one; and
the client (`client.py`) starts every worker with these limits and tells it
which packages to refuse. Standard library only, so that loading the catalog
(`mltrainer list`) does not import numpy through the sandbox's client.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

# mltrainer's own trusted packages: never importable by a solution, whatever
# its challenge allows (the worker refuses them too, whatever the static
# check let through).
FORBIDDEN_IMPORTS = frozenset({"trainer", "graders", "reference"})


@dataclass(frozen=True)
class Limits:
    """A worker's limits; a challenge overrides any of them in challenge.yaml `limits`."""

    call_timeout: float = 10.0
    memory_mb: int = 2048
    output_mb: int = 8
    cpu_seconds: int = 600
    reply_mb: int = 256
    disk_mb: int = 64

    @classmethod
    def defaults(cls) -> dict:
        """Every limit's name and default value, in declaration order."""
        return {f.name: f.default for f in fields(cls)}

    @classmethod
    def from_dict(cls, data: dict | None) -> "Limits":
        data = data or {}
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})
