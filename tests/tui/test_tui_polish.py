"""The app's rough edges, one class per item: the browser's widths, failures first, the help,
remembered settings, one header for every screen, and quitting during a grading run.

The real app, driven by Pilot, over the fixed pack (or the bundled catalog
where long titles matter), with the settings folder of the test
(tests/tui/conftest.py).
"""

from __future__ import annotations

import json
import threading
import time
from datetime import timezone

import pytest

from tests.helpers import TOY_PACK, make_report
from tests.tui.helpers import open_detail

from trainer.catalog import load_catalog
from trainer.errors import GradingCancelled
from trainer.report import GradeReport
from trainer.session import Session
from trainer.settings import Settings, load_settings, remember, save_settings, settings_path
from trainer.tui.app import TrainerApp
from trainer.tui.screens.stopping import StoppingScreen


def text_of(widget) -> str:
    return str(widget.render())


def screen_lines(app) -> list[str]:
    """The screen as the user sees it, one string per row."""
    return ["".join(segment.text for segment in strip) for strip in app.screen._compositor.render_strips()]


async def wait_for(pilot, condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out; screen is {type(pilot.app.screen).__name__}")
        await pilot.pause(0.02)


# --------------------------------------------------------------------------


class TestBrowserWidth:
    async def test_at_120_columns_titles_and_topics_use_the_width(self, tmp_path, home):
        """The bundled catalog's long titles: before, cut at 19 characters with 40% of the row empty."""
        context = Session(store_path=tmp_path / "p.db", workspace=home / "mltrainer", tz=timezone.utc)
        app = TrainerApp(context)
        async with app.run_test(size=(120, 50)) as pilot:   # tall enough for every challenge's row
            await pilot.press("b")
            await pilot.pause()
            rows = [line for line in screen_lines(app) if line.strip().split(" ")[0] in
                    {c.id for c in context.catalog}]
            assert len(rows) == len(context.catalog)
            for row in rows:
                assert len(row.rstrip()) >= 108, row   # the status column ends near the right edge
            shown_in_full = [c.title for c in context.catalog if c.title in "\n".join(rows)]
            assert len(shown_in_full) >= 5, shown_in_full   # 1 of 8 when cut at 19
        context.close()

    async def test_at_80_columns_nothing_overflows_and_cut_text_says_so(self, seeded_context):
        app = TrainerApp(seeded_context)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("b")
            await pilot.pause()
            lines = screen_lines(app)
            assert all(len(line) <= 80 for line in lines)
            assert any("Logistic regression…" in line for line in lines)   # cut, with an ellipsis
            assert any(line.rstrip().endswith("mastered") for line in lines)  # the status is whole

    async def test_a_resize_refits_the_columns(self, seeded_context):
        app = TrainerApp(seeded_context)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("b")
            await pilot.pause()
            assert not any("Logistic regression by gradient descent" in line for line in screen_lines(app))
            await pilot.resize_terminal(130, 24)
            await pilot.pause()
            assert any("Logistic regression by gradient descent" in line for line in screen_lines(app))


# --------------------------------------------------------------------------


def mixed_report() -> GradeReport:
    """Passed, failed, passed, error, in this order of the run; two categories."""
    data = make_report("logreg", passed=False, ratio=None).to_dict()
    template = data["tests"][0]
    tests = []
    for name, category, outcome in (("First passes", "correctness", "passed"),
                                    ("Second fails", "correctness", "failed"),
                                    ("Third passes", "edge_case", "passed"),
                                    ("Fourth errs", "edge_case", "error")):
        tests.append(dict(template, nodeid=f"graders/logreg.py::{name}", name=name, category=category,
                          outcome=outcome, message="" if outcome == "passed" else f"{name}: why",
                          measurements=[]))
    data["tests"] = tests
    return GradeReport.from_dict(data)


async def test_results_list_the_failures_first_then_the_rest(seeded_context):
    app = TrainerApp(seeded_context)
    async with app.run_test(size=(80, 40)) as pilot:
        app.show_report(seeded_context.catalog.get("logreg"), mixed_report())
        await pilot.pause()
        rows = [text_of(w) for w in app.screen.query("#results-body .test-row, #results-body .category-title")]
    assert rows == [
        "Failed  2 of 4",
        "✗ Second fails  · correctness",
        "! Fourth errs  · edge cases",
        "Correctness  1/2",
        "✓ First passes",
        "Edge cases  1/2",
        "✓ Third passes",
    ]


# --------------------------------------------------------------------------


async def test_help_lists_each_thing_to_do_once(seeded_context):
    app = TrainerApp(seeded_context)
    async with app.run_test(size=(80, 40)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        lines = text_of(app.screen.query_one("#help-keys")).splitlines()
    rows = [line.strip() for line in lines]
    assert "1-4       Rate your answer" in rows
    assert not [row for row in rows if row.startswith(("2 ", "3 ", "4 ")) or "Rate 2" in row]
    assert "?, f1     Help" in rows and "q, ^q     Quit" in rows
    # No section lists the same thing twice.
    section: list[str] = []
    for line in lines:
        if not line.startswith("  "):
            section = []
            continue
        description = line[12:]
        assert description not in section, line
        section.append(description)


# --------------------------------------------------------------------------


class TestRememberedSettings:
    async def test_the_theme_chosen_with_t_is_the_next_starts(self, seeded_context, config_dir):
        app = TrainerApp(seeded_context)
        async with app.run_test() as pilot:
            assert app.current_theme.dark
            await pilot.press("t")
            assert not app.current_theme.dark
        assert json.loads((config_dir / "settings.json").read_text())["theme"] == "light"
        again = TrainerApp(seeded_context)
        async with again.run_test():
            assert not again.current_theme.dark
        explicit = TrainerApp(seeded_context, theme="dark")   # `mltrainer tui --theme dark`
        async with explicit.run_test():
            assert explicit.current_theme.dark

    async def test_the_stub_level_chosen_with_l_is_what_s_writes(self, seeded_context, config_dir):
        app = TrainerApp(seeded_context)
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await open_detail(pilot, "beam_search")
            assert "s writes the guided stub" in text_of(screen.query_one("#detail-file"))
            await pilot.press("l")
            assert "s writes the interview stub" in text_of(screen.query_one("#detail-file"))
        assert load_settings() == Settings(theme="dark", stub_level="interview")

        app = TrainerApp(seeded_context)   # remembered on the next start
        async with app.run_test(size=(100, 30)) as pilot:
            await open_detail(pilot, "beam_search")
            await pilot.press("s")
            await pilot.pause()
        (start,) = [s for s in seeded_context.store.history().starts if s.challenge_id == "beam_search"]
        assert start.level == "interview"

    @pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe\x00", b"[1, 2]",
                                         b'{"theme": "purple", "stub_level": 3}'])
    async def test_a_damaged_file_gives_the_defaults_and_is_replaced(self, seeded_context, config_dir, content):
        config_dir.mkdir()
        (config_dir / "settings.json").write_bytes(content)
        app = TrainerApp(seeded_context)
        async with app.run_test() as pilot:
            assert app.current_theme.dark and app.settings == Settings()
            await pilot.press("t")
            assert not app.current_theme.dark
        assert load_settings() == Settings(theme="light")

    @pytest.mark.parametrize("where", ["a file", "a folder named settings.json", "/proc"])
    async def test_an_unwritable_file_costs_the_memory_of_the_choice_nothing_else(
            self, seeded_context, config_dir, monkeypatch, where):
        if where == "a file":
            config_dir.write_text("in the way")   # the config folder is a file
        elif where == "a folder named settings.json":
            (config_dir / "settings.json").mkdir(parents=True)
        else:
            monkeypatch.setenv("MLTRAINER_CONFIG_DIR", "/proc/mltrainer")   # a pseudo file system
        app = TrainerApp(seeded_context)
        async with app.run_test(size=(100, 30), notifications=True) as pilot:
            assert app.current_theme.dark
            await pilot.press("t", "t", "t")
            assert not app.current_theme.dark and app.is_running
            screen = await open_detail(pilot, "beam_search")
            await pilot.press("l")
            assert "interview stub" in text_of(screen.query_one("#detail-file"))
            await pilot.press("t")   # the level chosen above is kept while the app runs
            assert app.settings == Settings(theme="dark", stub_level="interview")
            warnings = [n for n in app._notifications if n.title == "Settings not saved"]
            assert len(warnings) == 1   # said once
            assert "could not save the settings" in warnings[0].message

    def test_unknown_keys_of_a_newer_version_are_kept(self, config_dir):
        config_dir.mkdir()
        (config_dir / "settings.json").write_text('{"editor": "nano", "theme": "light"}')
        settings, problem = remember(stub_level="interview")
        assert problem is None and settings == Settings(theme="light", stub_level="interview")
        assert json.loads(settings_path().read_text()) == {"editor": "nano", "theme": "light",
                                                           "stub_level": "interview"}

    def test_saving_never_raises(self, tmp_path):
        blocker = tmp_path / "blocker"
        blocker.write_text("")
        problem = save_settings(Settings(), blocker / "sub" / "settings.json")
        assert problem.startswith("could not save the settings to ")
        assert load_settings(blocker / "sub" / "settings.json") == Settings()


# --------------------------------------------------------------------------


class TestOneHeader:
    async def test_the_mock_screen_has_the_header_of_a_challenge_screen(self, pack_context):
        from trainer.tui.screens.mock import MockScreen
        from trainer.tui.widgets.title_bar import TitleBar

        round_ = pack_context.start_mock(count=2, minutes=30)
        first, second = (item.challenge_id for item in round_.items)
        app = TrainerApp(pack_context)
        async with app.run_test(size=(80, 24)) as pilot:
            app.push_screen(MockScreen(round_.id))
            await pilot.pause()
            screen = app.screen
            assert text_of(screen.query_one(TitleBar)) == f"mltrainer · mock round {round_.id} · {first} (1 of 2)"
            assert text_of(screen.query_one("#mock-title")) == pack_context.catalog.get(first).title
            await pilot.press("n")
            assert text_of(screen.query_one(TitleBar)) == f"mltrainer · mock round {round_.id} · {second} (2 of 2)"
            # As on a challenge's screen: the title bar on the first row, the title on the second.
            lines = screen_lines(app)
            assert lines[0].startswith(" mltrainer · mock round")
            assert lines[1].startswith(" " + pack_context.catalog.get(second).title)

    async def test_every_full_screen_starts_with_the_title_bar(self, seeded_context):
        from trainer.tui.screens.base import TrainerModalScreen
        from trainer.tui.screens.mock import MockScorecardScreen, MockScreen
        from trainer.tui.widgets.title_bar import TitleBar

        round_ = seeded_context.start_mock(minutes=30)
        app = TrainerApp(seeded_context)
        async with app.run_test(size=(80, 24)) as pilot:
            opened = []
            for open_it in (lambda: None, lambda: app.action_browse(),
                            lambda: app.open_challenge("logreg"),
                            lambda: app.show_report(seeded_context.catalog.get("logreg"), mixed_report()),
                            lambda: app.push_screen(MockScreen(round_.id))):
                open_it()
                await pilot.pause()
                screen = app.screen
                assert not isinstance(screen, TrainerModalScreen)
                bars = list(screen.query(TitleBar))
                assert len(bars) == 1 and screen.children[0] is bars[0], type(screen).__name__
                assert screen_lines(app)[0].startswith(" mltrainer · ")
                opened.append(type(screen).__name__)
        assert opened == ["DashboardScreen", "BrowserScreen", "DetailScreen", "ResultsScreen", "MockScreen"]
        assert MockScorecardScreen   # composes TitleBar too (tests/tui/test_mock_screen.py opens it)


# --------------------------------------------------------------------------


class TestQuittingDuringAGrade:
    """The app says the run is being stopped and ends once it has: before, it vanished at once and the
    terminal stayed blank while the process waited for the grading thread."""

    @pytest.fixture
    def slow_to_stop(self, tmp_path, home, clock):
        """A session whose grading runs until cancelled, then stops when the test releases it."""
        from tests.tui.helpers import PACK

        state = {"stopped_at": None, "release": threading.Event()}

        def grade(challenge, path, **options):
            while not context._cancel.is_set():   # the event the engine is handed
                time.sleep(0.01)
            state["release"].wait(10)   # the test decides when the run has stopped
            state["stopped_at"] = time.monotonic()
            raise GradingCancelled()

        context = Session(store_path=tmp_path / "data" / "progress.db", workspace=home / "mltrainer",
                          clock=clock, tz=timezone.utc, catalog_loader=lambda: load_catalog([PACK]),
                          grade_function=grade)
        yield context, state
        context.close()

    async def test_q_shows_the_stop_and_quits_once_stopped(self, slow_to_stop):
        from trainer.tui.screens.error import ErrorScreen

        context, state = slow_to_stop
        context.start(context.catalog.get("softmax"))
        app = TrainerApp(context)
        seen: list[type] = []
        async with app.run_test(size=(80, 24)) as pilot:
            await open_detail(pilot, "softmax")
            await pilot.press("g")
            await wait_for(pilot, lambda: context.grading_in_progress)
            await pilot.press("q")
            assert isinstance(app.screen, StoppingScreen) and app.is_running
            assert "Stopping the grading run" in text_of(app.screen.query_one("#stopping-title"))
            await pilot.pause(0.3)
            assert isinstance(app.screen, StoppingScreen) and app.is_running   # still stopping
            state["release"].set()
            while app.is_running:
                seen.append(type(app.screen))
                await pilot.pause(0.02)
            ended = time.monotonic()
        assert app.stopped_gradings
        assert state["stopped_at"] is not None and ended >= state["stopped_at"]   # it waited for the stop
        assert ended - state["stopped_at"] < 1.0                                  # and no longer
        assert ErrorScreen not in seen   # "grading was cancelled" is no news to someone quitting
        assert not context.grading_in_progress and context.store.grades() == []

    async def test_q_again_quits_without_waiting(self, slow_to_stop):
        context, state = slow_to_stop
        context.start(context.catalog.get("softmax"))
        app = TrainerApp(context)
        async with app.run_test(size=(80, 24)) as pilot:
            await open_detail(pilot, "softmax")
            await pilot.press("g")
            await wait_for(pilot, lambda: context.grading_in_progress)
            await pilot.press("q")
            assert isinstance(app.screen, StoppingScreen)
            await pilot.press("q")
        assert state["stopped_at"] is None   # it did not wait
        state["release"].set()
        while context.grading_in_progress:   # the thread still ends on its own
            time.sleep(0.02)

    async def test_q_without_a_grading_run_quits_at_once(self, seeded_context):
        app = TrainerApp(seeded_context)
        async with app.run_test() as pilot:
            await pilot.press("q")
        assert not app.stopped_gradings and app.return_code in (0, None)

    @pytest.mark.slow
    async def test_with_the_engine_the_run_is_stopped_before_the_app_ends(self, tmp_path):
        """A file whose every call hangs: the real engine, its lanes and workers."""
        hangs = "def row_sums(X):\n    while True:\n        pass\n\n\ndef scale(X, c):\n    while True:\n        pass\n"
        context = Session(store_path=tmp_path / "p.db", workspace=tmp_path / "ws", tz=timezone.utc,
                          catalog_loader=lambda: load_catalog([TOY_PACK]))
        context.start(context.catalog.get("toy")).write_text(hangs)
        app = TrainerApp(context)
        async with app.run_test(size=(80, 24)) as pilot:
            await open_detail(pilot, "toy")
            await pilot.press("g")
            await wait_for(pilot, lambda: context.grading_in_progress, 30)
            await pilot.pause(1.0)   # into the run: lanes and workers are up
            pressed = time.monotonic()
            await pilot.press("q")
            # The app ends by itself once the run has stopped (leaving the block would shut it down).
            while app.is_running and time.monotonic() - pressed < 30:
                await pilot.pause(0.05)
            ended = time.monotonic()
        assert ended - pressed < 5.0
        assert app.stopped_gradings and not context.grading_in_progress   # stopped, not left behind
        with context.open_store() as store:
            assert store.grades() == []
        context.close()
