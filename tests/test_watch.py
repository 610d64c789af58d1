"""Watch mode's save detection: once per settled save, never for a half-written file."""

from __future__ import annotations

import os

from trainer.watch import SolutionWatcher, watch_loop


def touch(path, text, mtime_ns):
    path.write_text(text)
    os.utime(path, ns=(mtime_ns, mtime_ns))


def test_a_save_is_reported_once_after_it_settles(tmp_path):
    path = tmp_path / "kmeans.py"
    touch(path, "a", 1_000_000_000)
    watcher = SolutionWatcher(path)
    assert not watcher.poll()                      # nothing changed
    touch(path, "ab", 2_000_000_000)
    assert not watcher.poll()                      # changed: wait one look
    assert watcher.poll()                          # unchanged since: settled
    assert not watcher.poll()                      # reported once


def test_a_file_still_being_written_is_not_reported(tmp_path):
    path = tmp_path / "kmeans.py"
    touch(path, "a", 1_000_000_000)
    watcher = SolutionWatcher(path)
    touch(path, "ab", 2_000_000_000)
    assert not watcher.poll()
    touch(path, "abc", 3_000_000_000)               # still growing
    assert not watcher.poll()
    assert watcher.poll()


def test_same_mtime_but_new_size_counts_as_a_save(tmp_path):
    path = tmp_path / "kmeans.py"
    touch(path, "a", 1_000_000_000)
    watcher = SolutionWatcher(path)
    touch(path, "abcd", 1_000_000_000)
    assert not watcher.poll() and watcher.poll()


def test_deleting_is_not_a_save_but_recreating_is(tmp_path):
    path = tmp_path / "kmeans.py"
    touch(path, "a", 1_000_000_000)
    watcher = SolutionWatcher(path)
    path.unlink()
    assert not watcher.poll() and not watcher.poll()
    touch(path, "b", 5_000_000_000)
    assert not watcher.poll() and watcher.poll()


def test_watch_loop_runs_first_then_once_per_save(tmp_path):
    path = tmp_path / "kmeans.py"
    touch(path, "v0", 1_000_000_000)
    runs = []
    saves = iter([("v1", 2), None, None, ("v22", 3), None, None, None])

    def fake_sleep(_seconds):
        step = next(saves)
        if step:
            touch(path, step[0], step[1] * 1_000_000_000)

    count = watch_loop(path, lambda: runs.append(path.read_text()), max_runs=3, sleep=fake_sleep)
    assert count == 3
    assert runs == ["v0", "v1", "v22"]
