"""Workers forked by a zygote (sandbox/client.py `Zygote`) are what freshly started workers are.

Real processes throughout: the zygote is a real `python -I worker.py
--zygote`, its forks real workers, watched through /proc.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.helpers import REPO, TOY_PACK, alive
from trainer.engine import grade
from trainer.sandbox import client
from trainer.sandbox.client import CandidateFailure, Worker, Zygote
from trainer.sandbox import worker as worker_module
from trainer.sandbox.limits import Limits

pytestmark = pytest.mark.skipif(not (sys.platform.startswith("linux") and hasattr(os, "pidfd_open")),
                                reason="the zygote needs Linux pidfds")

PROBE = '''
import os, sys, tempfile

def info():
    return {"home": os.environ.get("HOME"), "tmpdir": os.environ.get("TMPDIR"), "tmp": tempfile.gettempdir(),
            "cwd": os.getcwd(), "argv": sys.argv[1:], "fds": sorted(os.listdir("/proc/self/fd")),
            "ppid": os.getppid(), "threads": len(os.listdir("/proc/self/task"))}

def leave(code):
    os._exit(code)

def crash():
    import signal
    os.kill(os.getpid(), signal.SIGSEGV)

def churn(times):
    import numpy as np
    total = 0.0
    for _ in range(times):
        a = np.ones(393_216)        # two temporaries of 3 MiB, made and freed together, over and over
        total += float((a * 2.0).sum() + a.sum())
        del a
    return total
'''


@pytest.fixture
def probe(tmp_path):
    path = tmp_path / "probe.py"
    path.write_text(PROBE)
    return path


@pytest.fixture
def forked(monkeypatch):
    """Workers of this test process are forked by its zygote."""
    monkeypatch.delenv("MLTRAINER_WARM_WORKERS", raising=False)
    monkeypatch.setattr(Zygote, "_enabled", False)
    Zygote.enable()
    assert Zygote._enabled
    yield
    zygote = Zygote._mine()
    if zygote is not None:
        zygote.close()
    monkeypatch.setattr(Zygote, "_instance", None)


def zygote_pid() -> int:
    pid = Zygote.pid()
    assert pid is not None
    return pid


def cmdline(pid: int) -> list[bytes]:
    with open(f"/proc/{pid}/cmdline", "rb") as handle:
        return handle.read().split(b"\0")


def test_a_forked_worker_holds_exactly_what_a_fresh_one_holds(probe, tmp_path, monkeypatch):
    with Worker(probe, Limits(), folder=tmp_path, hostile=False) as cold:
        cold.start()
        fresh = cold.call("info")
        fresh_private = str(cold._private)
    monkeypatch.setattr(Zygote, "_enabled", True)
    try:
        with Worker(probe, Limits(), folder=tmp_path, hostile=False) as warm:
            warm.start()
            got = warm.call("info")
            private = str(warm._private)
            zygote = zygote_pid()
            assert b"--zygote" in cmdline(zygote), "the zygote is a fresh interpreter, not a fork of the grader"
    finally:
        Zygote._instance.close()
        Zygote._instance = None
    assert fresh["ppid"] == os.getpid() and got["ppid"] == zygote
    assert got["home"] == got["tmpdir"] == got["tmp"] == got["cwd"] == private
    assert fresh["home"] == fresh["tmpdir"] == fresh["tmp"] == fresh["cwd"] == fresh_private
    # The same descriptors (stdin, output, the four protocol pipes, the one listing them), nothing of the zygote's.
    assert len(got["fds"]) == len(fresh["fds"]), (got["fds"], fresh["fds"])
    assert len(got["argv"]) == len(fresh["argv"]) == 2
    assert got["threads"] == fresh["threads"] == 1


def test_exit_statuses_reach_the_grader(probe, tmp_path, forked):
    with Worker(probe, Limits(), folder=tmp_path) as worker:
        with pytest.raises(CandidateFailure, match="exited with status 7"):
            worker.call("leave", (7,))
        with pytest.raises(CandidateFailure, match="SIGSEGV"):
            worker.call("crash")
        assert worker.call("info")["ppid"] == zygote_pid(), "the next call gets a fresh fork"


def test_a_killed_zygote_takes_its_workers_and_the_next_start_gets_a_new_one(probe, tmp_path, forked):
    with Worker(probe, Limits(), folder=tmp_path) as worker:
        worker.start()
        first, victim = zygote_pid(), worker.proc.pid
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while alive(victim) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not alive(victim), "a worker dies with its zygote"
        assert not worker.alive and worker.proc.returncode == -signal.SIGKILL
        assert worker.call("info")["ppid"] == zygote_pid() != first   # a call starts a fresh worker


def test_a_zygote_that_does_not_answer_in_time_goes_and_the_worker_starts_fresh(probe, tmp_path, forked,
                                                                                monkeypatch):
    monkeypatch.setattr(client, "_ZYGOTE_TIMEOUT_S", 0.001)   # it is still importing numpy when asked
    with Worker(probe, Limits(), folder=tmp_path) as worker:
        worker.start()
        zygote = Zygote._instance.proc.pid
        assert worker.call("info")["ppid"] == os.getpid(), "started fresh, on pipes no fork of the zygote holds"
        assert not alive(zygote), "the zygote that missed its answer is gone, and any fork it made with it"


def test_the_zygote_and_its_workers_go_when_the_grading_process_goes(probe, tmp_path):
    script = (
        "import json, os, sys\n"
        "from trainer.sandbox.client import Worker, Zygote\n"
        "from trainer.sandbox.limits import Limits\n"
        "Zygote.enable()\n"
        f"worker = Worker({str(probe)!r}, Limits(), folder={str(tmp_path)!r})\n"
        "worker.start()\n"
        "print(json.dumps([Zygote.pid(), worker.proc.pid]), flush=True)\n"
        "os._exit(0)\n"   # no clean-up: only the kernel's notices are left
    )
    env = {k: v for k, v in os.environ.items() if k != "MLTRAINER_WARM_WORKERS"}
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=60)
    zygote, worker = json.loads(done.stdout)
    deadline = time.monotonic() + 5
    while (alive(zygote) or alive(worker)) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not alive(zygote) and not alive(worker)


def ask(sock, request: dict, fds=()) -> tuple[dict, list[int]]:
    import socket
    socket.send_fds(sock, [json.dumps(request).encode()], list(fds))
    message, received, _flags, _addr = socket.recv_fds(sock, 4096, 1)
    return json.loads(message), received


def test_a_mother_zygote_forks_zygotes_only_and_each_is_a_clean_zygote():
    """The lane server's mother (trainer/warm.py `_Mother`): every lane's zygote is a fork of it."""
    import socket
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    argv, env = client.zygote_command(theirs.fileno(), os.getpid(), mother=True)
    mother = subprocess.Popen(argv, env=env, pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    theirs.close()
    ours.settimeout(30)
    held = []
    try:
        folder_fds = [os.open(os.devnull, os.O_RDONLY) for _ in range(5)]
        reply, received = ask(ours, {"spawn": "/tmp"}, folder_fds)
        for fd in folder_fds:
            os.close(fd)
        assert "error" in reply and not received, "the mother never forks a worker"

        mine, its = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        reply, (pidfd,) = ask(ours, {"zygote": 1}, [its.fileno()])
        its.close()
        zygote = reply["pid"]
        held += [mine, pidfd]
        deadline = time.monotonic() + 5
        while comm(zygote) != worker_module.ZYGOTE_NAME and time.monotonic() < deadline:
            time.sleep(0.01)
        assert comm(zygote) == worker_module.ZYGOTE_NAME
        assert comm(mother.pid) == worker_module.MOTHER_NAME
        with open(f"/proc/{zygote}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        ppid, session = int(fields[1]), int(fields[3])
        assert ppid == mother.pid and session == zygote, "the mother's child, in a session of its own"
        assert sorted(int(fd) for fd in os.listdir(f"/proc/{zygote}/fd"))[3:] == [3], \
            "it holds its own socket and nothing of the mother's (nor of anything else)"
        mine.settimeout(30)
        spare_fd = os.open(os.devnull, os.O_RDONLY)
        reply, received = ask(mine, {"zygote": 1}, [spare_fd])
        os.close(spare_fd)
        assert "error" in reply and not received, "a lane's zygote forks workers only"

        mine.close()
        held.remove(mine)
        deadline = time.monotonic() + 5
        while alive(zygote) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not alive(zygote), "a zygote ends when the lane that holds its socket does"

        mine, its = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        reply, (other_pidfd,) = ask(ours, {"zygote": 1}, [its.fileno()])
        its.close()
        held += [mine, other_pidfd]
        mother.kill()
        mother.wait(10)
        deadline = time.monotonic() + 5
        while alive(reply["pid"]) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not alive(reply["pid"]), "and with the mother (which dies with its lane server)"
    finally:
        mother.kill()
        mother.wait(10)
        ours.close()
        for item in held:
            item.close() if hasattr(item, "close") else os.close(item)


def comm(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/comm", "rb") as handle:
            return handle.read().strip()
    except OSError:
        return b""


@pytest.mark.slow
def test_forked_and_fresh_workers_give_the_same_report(monkeypatch, tmp_path):
    from trainer.catalog import load_catalog
    toy = load_catalog([TOY_PACK]).get("toy")
    reference = TOY_PACK / "reference" / "toy.py"
    buggy = tmp_path / "toy.py"
    buggy.write_text(reference.read_text().replace("return c * np.asarray", "return c + np.asarray"))
    monkeypatch.delenv("MLTRAINER_WARM_WORKERS", raising=False)
    forked = [grade(toy, path, lanes=1) for path in (reference, buggy)]
    monkeypatch.setenv("MLTRAINER_WARM_WORKERS", "0")
    fresh = [grade(toy, path, lanes=1) for path in (reference, buggy)]
    for one, other in zip(forked, fresh):
        assert one.status == other.status
        assert [(t.nodeid, t.outcome, t.message) for t in one.tests] == \
               [(t.nodeid, t.outcome, t.message) for t in other.tests]
    assert forked[0].status == "passed" and forked[1].status == "failed"


def minor_faults(pid: int) -> int:
    with open(f"/proc/{pid}/stat", "rb") as handle:
        return int(handle.read().rsplit(b")", 1)[1].split()[7])


@pytest.mark.parametrize("start", ["fresh", "forked"])
def test_a_worker_reuses_freed_memory_for_the_next_temporary(probe, tmp_path, monkeypatch, start):
    """Same-size temporaries come from the heap the last one freed, not from fresh pages each time.

    glibc's default maps each array over 128 KiB afresh and unmaps it when
    freed, and keeps freed memory only up to thresholds that depend on what
    the process freed before: pairs of 3 MiB temporaries (768 pages each)
    could fault in every page of every one of them, a cost that differs from
    one machine to the next and that budgets would time as the solution's
    (worker.py, _steady_allocator). Counted from outside, in the worker's
    minor page faults.
    """
    monkeypatch.setattr(Zygote, "_enabled", start == "forked")
    try:
        with Worker(probe, Limits(), folder=tmp_path, hostile=False) as worker:
            worker.call("churn", (1,))                  # the first one's pages, and the call's own
            before = minor_faults(worker.proc.pid)
            worker.call("churn", (200,))
            faults = minor_faults(worker.proc.pid) - before
            parent = worker.call("info")["ppid"]
            assert parent == (zygote_pid() if start == "forked" else os.getpid())
    finally:
        if start == "forked" and Zygote._instance is not None:
            Zygote._instance.close()
            Zygote._instance = None
    assert faults < 5_000, f"{faults} page faults for 200 pairs of temporaries of 768 pages"
