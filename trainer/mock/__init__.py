"""Timed mock interviews: a round of challenges, a clock, a scorecard, follow-up questions.

A round lives in the progress database, so closing the terminal loses
nothing: the deadline is stored, and whichever mltrainer command runs first
after it finalises the round. The score formula is
:data:`~trainer.mock.scoring.SCORE_FORMULA` (also in docs/mock.md). Follow-up
questions are rated by the user from 1 to 4 after the card, and each rating is
followed by the key points of a good answer; the ratings are stored and shown
beside the score, never mixed into it.

The modules:

* :mod:`~trainer.mock.models`: limits, states, errors and the records of a round;
* :mod:`~trainer.mock.persistence`: every query and write of the mock tables;
* :mod:`~trainer.mock.selection`: which challenges a round gets;
* :mod:`~trainer.mock.scoring`: the score formula;
* :mod:`~trainer.mock.lifecycle`: start, grade now, hand in, abandon, finalise, rate;
* :mod:`~trainer.mock.format`: text the command line and the TUI both show;
* :mod:`~trainer.mock.guard`: the check before every command.

Every "now" is the store's clock (``Store.open(clock=...)``), so tests move
time instead of sleeping.

The public names below are importable from the package itself
(``from trainer.mock import submit``). Each module is imported on the first
use of one of its names (a module ``__getattr__``, PEP 562): the CLI builds
the options of ``mltrainer mock`` from the limits in
:mod:`~trainer.mock.models`, and ``mltrainer --help`` should not load the
store for that. The catalog, the progress rules and the engine are imported
only when a round needs them.
"""

from __future__ import annotations

import importlib
from typing import Any

#: The public names, by the module that defines them (type checkers see them
#: as ``Any`` through ``__getattr__``; the modules have the types).
PUBLIC_NAMES = {
    "format": (
        "CATEGORY_COLUMNS", "CATEGORY_NAMES", "card_summary_lines", "clock_time", "ended_phrase",
        "failed_test_lines", "file_state", "format_duration", "item_cells", "key_point_lines",
        "late_edit_note", "rating_scale", "score_breakdown", "time_left", "time_used_of_allotted",
    ),
    "lifecycle": (
        "GradeFunction", "abandon", "check", "finalise_expired_session", "follow_ups", "rate_follow_up",
        "refuse_hints_during_mock", "refuse_reference_during_mock", "scorecard", "start_session", "submit",
    ),
    "models": (
        "ABANDONED", "ACTIVE", "DEFAULT_LEVEL", "DONE", "GRADING", "MAX_COUNT", "MAX_MINUTES", "RATINGS",
        "FollowUp", "ItemCard", "MockBusy", "MockError", "MockInProgress", "MockItem", "MockSession",
        "NoMockSession", "Scorecard", "SessionSummary",
    ),
    "persistence": ("current_session", "get_session", "latest_session", "session_summaries"),
    "scoring": (
        "CEILING_FLOORS", "SCORE_FORMULA", "SHARES", "WORKED_EXAMPLES", "ItemScore", "category_score",
        "item_points", "late_factor", "round_score", "tallies_of", "worked_examples_table",
    ),
    "selection": ("choose_challenges", "selection_weights"),
}

_MODULE_OF = {name: module for module, names in PUBLIC_NAMES.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # the next lookup is an ordinary one
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

