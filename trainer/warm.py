"""Warm starts for grading lanes: pytest, numpy and the grading plugin imported once per process.

A lane is a pytest process running a grader (engine.py). Started cold, each
one spends most of its start-up importing pytest, numpy and mltrainer's
grading modules, the same work every time. A process that grades more than
once (watch mode, the TUI, a roster, the project's tests) instead keeps a
**lane server**: a child process that has imported all of that and does
nothing else. For each lane the engine asks it for one; it forks, and the
fork runs `pytest.main` with the lane's arguments, environment and folder,
exactly what a cold lane would have run, and exits.

What stays as it was:

- the server is trusted code only: it never runs a grader before forking and
  never runs candidate code. Candidate code still runs only in sandboxed
  workers, forked by a zygote that is a freshly executed interpreter or a
  fork of one (made ahead by the server for its next lane, `_Spare`, from
  its mother zygote, `_Mother`; or started by the lane itself), so nothing
  of the server's (or a lane's) memory ever reaches a worker;
- a lane's exit status comes from the kernel (the server's `waitpid`), and a
  pidfd the server opens before the lane can be reaped lets the engine wait
  for it without racing pid reuse. If the server dies, its lanes die with it
  (PR_SET_PDEATHSIG) and count as broken: the run is an error, never a pass;
- the server dies with the process that started it (PR_SET_PDEATHSIG, and
  end of file on its socket), is not dumpable, and is replaced when the
  environment its imports could depend on changes (`_env_key`).

`MLTRAINER_WARM_LANES=0` turns it off (lanes start cold, as subprocesses).
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time

from trainer.sandbox.worker import as_child, exit_after

WARM_ENV = "MLTRAINER_WARM_LANES"
# Set per lane, not at the server's start: a server serves lanes that differ in these.
PER_LANE_ENV = ("TMPDIR", "MLTRAINER_GRADER_PARENT")
_MAX_MESSAGE = 1 << 20
# Worker zygotes kept ready for the next lanes: as many as a grading has lanes at most (engine.MAX_LANES),
# started once no lane has run for this long.
SPARES = 2
_IDLE_BEFORE_SPARES_S = 0.2
_SPAWN_TIMEOUT_S = 10.0


def wanted() -> bool:
    """Whether lanes start warm here: on by default where the kernel has pidfds and fd passing."""
    if os.environ.get(WARM_ENV, "").strip() in ("0", "no", "false", "off"):
        return False
    return hasattr(os, "pidfd_open") and hasattr(socket, "send_fds") and hasattr(os, "fork")


# -- the engine's side --------------------------------------------------------

class WarmLane:
    """A lane forked by the server: what the engine needs of a `subprocess.Popen`."""

    def __init__(self, server: "LaneServer", pid: int, pidfd: int) -> None:
        self._server = server
        self.pid = pid
        self.pidfd = pidfd
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self._server.exit_status(self, timeout=0.0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            status = self._server.exit_status(self, timeout=timeout if timeout is not None else 3600.0)
            if status is None:
                raise subprocess.TimeoutExpired("lane", timeout)
            self.returncode = status
        return self.returncode

    def close(self) -> None:
        if self.pidfd >= 0:
            os.close(self.pidfd)
            self.pidfd = -1


class LaneServer:
    """The engine's handle on one lane server (one per environment, per process)."""

    def __init__(self, env: dict[str, str]) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        ours.set_inheritable(False)
        server_env = {k: v for k, v in env.items() if k not in PER_LANE_ENV}
        server_env["MLTRAINER_GRADER_PARENT"] = str(os.getpid())
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "trainer.warm", str(theirs.fileno())],
            cwd="/", env=server_env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, pass_fds=(theirs.fileno(),), start_new_session=True)
        theirs.close()
        self._sock = ours
        self._lock = threading.Lock()           # one request at a time
        self._exits: dict[int, int] = {}
        self._replies: list[tuple[dict, list[int]]] = []
        self._changed = threading.Condition()
        self._dead = False
        self._reader = threading.Thread(target=self._read, name="lane-server", daemon=True)
        self._reader.start()

    @property
    def alive(self) -> bool:
        return not self._dead and self.proc.poll() is None

    def spawn(self, argv: list[str], *, cwd: str, env: dict[str, str], stdout: int, events: int) -> WarmLane:
        """A lane running `pytest.main(argv + [--mltrainer-events-fd=N])` in `cwd` with `env`."""
        request = json.dumps({"argv": argv, "cwd": cwd, "env": env}).encode()
        with self._lock:
            try:
                socket.send_fds(self._sock, [request], [stdout, events])
            except OSError as exc:
                raise OSError(f"the lane server is gone ({exc})") from exc
            with self._changed:
                if not self._changed.wait_for(lambda: self._replies or self._dead, timeout=_SPAWN_TIMEOUT_S):
                    # A late answer would be taken for the next request's: this server is done.
                    self._dead = True
                    self.proc.kill()
                    raise OSError("the lane server did not answer")
                if not self._replies:
                    raise OSError("the lane server is gone")
                reply, fds = self._replies.pop(0)
        pid = reply.get("pid")
        if not isinstance(pid, int) or len(fds) != 1:
            for fd in fds:
                os.close(fd)
            raise OSError(f"the lane server could not start a lane: {reply.get('error', reply)!r:.300}")
        return WarmLane(self, pid, fds[0])

    def exit_status(self, lane: WarmLane, timeout: float) -> int | None:
        """The lane's exit status once it has exited (None before); -9 if the server died first."""
        if timeout <= 0 and lane.pidfd >= 0 and not select.select([lane.pidfd], [], [], 0)[0]:
            return None                          # still running: no need to ask
        # Exited (or waiting): the server reports the status right after reaping it.
        with self._changed:
            self._changed.wait_for(lambda: lane.pid in self._exits or self._dead, timeout=max(timeout, 1.0))
            if lane.pid in self._exits:
                return self._exits.pop(lane.pid)
            return -signal.SIGKILL if self._dead else None

    def close(self) -> None:
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def _read(self) -> None:
        try:
            while True:
                message, fds, _flags, _addr = socket.recv_fds(self._sock, _MAX_MESSAGE, 4)
                if not message:
                    break
                try:
                    data = json.loads(message)
                except ValueError:
                    data = {}
                with self._changed:
                    if "exit" in data and isinstance(data.get("exit"), int):
                        self._exits[data["exit"]] = int(data.get("status", -signal.SIGKILL))
                    else:
                        self._replies.append((data if isinstance(data, dict) else {}, list(fds)))
                    self._changed.notify_all()
        except OSError:
            pass
        finally:
            with self._changed:
                self._dead = True
                self._changed.notify_all()


_servers: dict[tuple, LaneServer] = {}
_servers_lock = threading.Lock()


def server_for(env: dict[str, str]) -> LaneServer:
    """This process's lane server for lanes with `env` (started on first use, replaced if it died)."""
    key = _env_key(env)
    with _servers_lock:
        server = _servers.get(key)
        if server is not None and not server.alive:
            server.close()
            server = None
        if server is None:
            for stale in list(_servers.values()):   # an environment that changed: its server goes
                stale.close()
            _servers.clear()
            server = _servers[key] = LaneServer(env)
        return server


def _env_key(env: dict[str, str]) -> tuple:
    """What in a lane's environment the server's own imports could depend on.

    Each lane gets its whole environment when it is forked; the server only
    imports modules, and none of mltrainer's reads the environment at import.
    So mltrainer's own settings (folders, lanes, isolation) and pytest's
    PYTEST_CURRENT_TEST (new in every test of a test run) do not need a new
    server; anything else might (PYTHON*, BLAS and allocator settings, HOME
    for the user's site folder, ...).
    """
    return tuple(sorted((k, v) for k, v in env.items()
                        if k not in PER_LANE_ENV and k != "PYTEST_CURRENT_TEST" and not k.startswith("MLTRAINER_")))


# -- the server's side --------------------------------------------------------

def _preload() -> None:
    """Import what every lane imports, before the first fork."""
    import importlib

    import _pytest.config
    import numpy  # noqa: F401
    import pytest  # noqa: F401

    for name in _pytest.config.default_plugins:
        try:
            importlib.import_module(f"_pytest.{name}")
        except ImportError:
            pass
    # What every lane imports as it starts: pytest's debugging and
    # faulthandler plugins import these when they configure, and loading the
    # challenge imports yaml and the examples parser.
    import _pytest._argcomplete  # noqa: F401
    import faulthandler  # noqa: F401
    import pdb  # noqa: F401
    import yaml  # noqa: F401
    import yaml.cyaml  # noqa: F401

    import trainer.catalog  # noqa: F401
    import trainer.examples  # noqa: F401
    import trainer.grading.plugin  # noqa: F401
    import trainer.grading.stats  # noqa: F401
    import trainer.leaderboard  # noqa: F401
    import trainer.sandbox.confine  # noqa: F401
    from trainer.sandbox import policy
    policy.package_locations(frozenset({"numpy"}))   # every worker's rules need it; slow to find
    # What is loaded now lasts as long as the server: out of the collector's
    # reach, every lane's collections (pytest runs five at its end) skip it.
    import gc
    gc.freeze()


SERVER_NAME = b"mltrainer-lanes"   # what `ps` and /proc/<pid>/comm show
LANE_NAME = b"mltrainer-lane"


def _name(name: bytes) -> None:
    try:
        import ctypes
        PR_SET_NAME = 15
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_NAME, ctypes.c_char_p(name), 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _harden(parent: int) -> None:
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG, PR_SET_DUMPABLE = 1, 4
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    _name(SERVER_NAME)
    if os.getppid() != parent:                   # the engine died before PR_SET_PDEATHSIG
        os._exit(1)


def serve(sock_fd: int) -> None:
    parent = int(os.environ.get("MLTRAINER_GRADER_PARENT", "0") or 0)
    _harden(parent)
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]                          # `-m` put the current folder first
    sock = socket.socket(fileno=sock_fd)
    wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    mother = _Mother.start()                     # imports numpy while this server imports the rest
    _preload()
    spares: list[_Spare] = []
    mother = _Spare.fill(spares, mother)         # while the engine gets its first grading ready
    can_fill = len(spares) == SPARES             # (not where the kernel has no pidfds)
    children: set[int] = set()
    idle_since = time.monotonic()
    while True:
        # Forked from the mother, a zygote costs little: the next lanes' are
        # made as soon as a lane has taken one. Without the mother, each
        # costs a numpy import, and they are started only once no lane has
        # run for a moment (a learner between two saves): started while
        # lanes run, or between gradings that follow each other at once,
        # they would only take CPU from the gradings.
        wait = None
        if can_fill and len(spares) < SPARES and (mother is not None or not children):
            wait = 0.0 if mother is not None else max(0.0, idle_since + _IDLE_BEFORE_SPARES_S - time.monotonic())
        try:
            ready = select.select([sock, wake_r], [], [], wait)[0]
        except InterruptedError:
            continue
        if wake_r in ready:
            try:
                os.read(wake_r, 4096)
            except BlockingIOError:
                pass
        if _reap(sock, children) and not children:
            idle_since = time.monotonic()
        if not ready and can_fill and len(spares) < SPARES and (mother is not None or not children):
            mother = _Spare.fill(spares, mother)
            can_fill = len(spares) == SPARES
        if sock not in ready:
            continue
        try:
            message, fds, _flags, _addr = socket.recv_fds(sock, _MAX_MESSAGE, 2)
        except OSError:
            message, fds = b"", []
        if not message:                          # the engine is gone: so are we, and our lanes
            os._exit(0)
        _Spare.prune(spares)
        spare = spares.pop(0) if spares else None
        pid, error = _fork_lane(message, fds, sock, (wake_r, wake_w), spare, spares, mother)
        for fd in fds:
            os.close(fd)
        if pid is None:
            if spare is not None:
                spares.insert(0, spare)
            sock.send(json.dumps({"error": error}).encode())
            continue
        children.add(pid)
        pidfd = os.pidfd_open(pid)               # before the lane can be reaped: no pid reuse race
        try:
            socket.send_fds(sock, [json.dumps({"pid": pid}).encode()], [pidfd])
        finally:
            os.close(pidfd)
        if spare is not None:                    # the lane holds it now
            spare.close()


def _reap(sock: socket.socket, children: set[int]) -> bool:
    """Reap every child that has exited; report the lanes' (the others are zygotes, _Spare). Any lane's?"""
    lanes = False
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            lanes = lanes or bool(children)
            children.clear()
            return lanes
        if pid == 0:
            return lanes
        if pid in children:
            lanes = True
            children.discard(pid)
            sock.send(json.dumps({"exit": pid, "status": os.waitstatus_to_exitcode(status)}).encode())


class _Spare:
    """A worker zygote started ahead for the next lane (trainer/sandbox/client.py `Zygote`).

    A lane otherwise starts its own when it starts its first worker, and
    waits for its numpy import. The zygote is a fork of the server's mother
    zygote (`_Mother`), or else started exactly as a lane would start it (a
    fresh interpreter with a worker's scrubbed environment); never a fork of
    this server. Its socket goes to one lane only: the server closes its
    copy once the lane is forked, so the zygote and its workers end when
    that lane does (end of file), or with this server (PR_SET_PDEATHSIG,
    through the mother if it has one). The lane adopts it only where its
    workers are confined (`Zygote.enable`); else it closes it.
    """

    def __init__(self, sock: socket.socket, pid: int, pidfd: int) -> None:
        self.sock, self.pid, self.pidfd = sock, pid, pidfd

    @classmethod
    def start(cls) -> "_Spare | None":
        """A zygote in a fresh interpreter, a child of this server."""
        sock, pid, pidfd = _start_zygote(mother=False)
        return None if sock is None else cls(sock, pid, pidfd)

    @classmethod
    def fill(cls, spares: "list[_Spare]", mother: "_Mother | None") -> "_Mother | None":
        """As many ready zygotes as a grading has lanes at most; the mother, or None once it has failed."""
        cls.prune(spares)
        while len(spares) < SPARES:
            spare = mother.fork() if mother is not None else cls.start()
            if spare is None and mother is not None:
                mother.close()                   # gone or not answering: zygotes start fresh from now on
                mother = None
                continue
            if spare is None:
                return mother
            spares.append(spare)
        return mother

    @staticmethod
    def prune(spares: "list[_Spare]") -> None:
        """Drop the zygotes that have exited (killed from outside, or with their mother)."""
        for spare in [spare for spare in spares if select.select([spare.pidfd], [], [], 0)[0]]:
            spares.remove(spare)
            spare.close()

    def close(self) -> None:
        self.sock.close()
        os.close(self.pidfd)


class _Mother:
    """The zygote the server's spares are forked from: one numpy import per server, not one per lane.

    A fresh interpreter with a worker's scrubbed environment, started by this
    server as a lane starts its zygote (worker.py `zygote`, `--mother`). It
    forks zygotes and nothing else: it never forks a worker and never loads
    candidate code, so each zygote it forks is what a freshly started one
    is, less the 75-80 ms of its imports. It dies with this server.
    """

    def __init__(self, sock: socket.socket, pid: int, pidfd: int) -> None:
        self.sock, self.pid, self.pidfd = sock, pid, pidfd
        sock.settimeout(_SPAWN_TIMEOUT_S)

    @classmethod
    def start(cls) -> "_Mother | None":
        sock, pid, pidfd = _start_zygote(mother=True)
        return None if sock is None else cls(sock, pid, pidfd)

    def fork(self) -> "_Spare | None":
        """A new zygote for the next lane, or None if the mother failed to make one."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        received: list[int] = []
        try:
            socket.send_fds(self.sock, [b'{"zygote": 1}'], [theirs.fileno()])
            message, received, _flags, _addr = socket.recv_fds(self.sock, 4096, 1)
            pid = json.loads(message).get("pid")
            if not isinstance(pid, int) or len(received) != 1:
                raise ValueError(f"the mother zygote could not fork a zygote: {message[:200]!r}")
        except (OSError, ValueError, AttributeError):
            ours.close()
            for fd in received:
                os.close(fd)
            return None
        finally:
            theirs.close()
        return _Spare(ours, pid, received[0])

    def close(self) -> None:
        try:
            signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)   # its zygotes go with it
        except OSError:
            pass
        self.sock.close()
        os.close(self.pidfd)


def _start_zygote(*, mother: bool) -> "tuple[socket.socket | None, int, int]":
    """(our socket, pid, pidfd) of a zygote in a fresh interpreter, a child of this server; (None, 0, -1) if
    the kernel has no pidfds."""
    from trainer.sandbox.client import zygote_command
    if not hasattr(os, "pidfd_open"):
        return None, 0, -1
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    argv, env = zygote_command(theirs.fileno(), os.getpid(), mother=mother)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        exit_after(lambda: _exec_zygote(argv, env, theirs.fileno()))
    theirs.close()
    return ours, pid, os.pidfd_open(pid)         # before it can be reaped: no pid reuse race


def _exec_zygote(argv: list[str], env: dict[str, str], sock_fd: int) -> int:
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.setsid()
    devnull = os.open(os.devnull, os.O_WRONLY)
    as_child(devnull, {sock_fd})
    os.set_inheritable(sock_fd, True)
    os.chdir("/")
    os.execve(argv[0], argv, env)
    return 3


def _fork_lane(message: bytes, fds: list[int], sock: socket.socket, private: tuple[int, int],
               spare: "_Spare | None", others: "list[_Spare]", mother: "_Mother | None"):
    try:
        request = json.loads(message)
        argv, cwd, env = request["argv"], request["cwd"], request["env"]
        if not (isinstance(argv, list) and all(isinstance(a, str) for a in argv) and isinstance(cwd, str)
                and isinstance(env, dict) and len(fds) == 2):
            raise ValueError("a lane request needs argv, cwd, env and two descriptors")
    except (ValueError, KeyError, TypeError) as exc:
        return None, str(exc)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid, ""
    for other in others:                         # the next lanes': not this one's to hold
        other.close()
    if mother is not None:
        mother.sock.close()
        os.close(mother.pidfd)
    exit_after(lambda: _lane(sock, private, argv, cwd, env, fds, spare))   # never returns into the server's loop


def _lane(sock: socket.socket, private: tuple[int, int], argv: list[str], cwd: str, env: dict[str, str],
          fds: list[int], spare: "_Spare | None") -> int:
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    sock.close()
    for fd in private:
        os.close(fd)
    os.setsid()
    _name(LANE_NAME)
    keep = set()
    if spare is not None:
        from trainer.sandbox.client import Zygote
        Zygote.offer(spare.sock.detach(), spare.pid, spare.pidfd)
        keep = {*Zygote.offered_descriptors()}
    return _run_lane(argv, cwd, env, stdout=fds[0], events=fds[1], keep=keep)


def _run_lane(argv: list[str], cwd: str, env: dict[str, str], *, stdout: int, events: int,
              keep: set[int] = frozenset()) -> int:
    import tempfile

    import pytest

    as_child(stdout, {events, *keep})   # only the lane's own descriptors go on (output, events, its zygote's)
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    os.environ["MLTRAINER_GRADER_PARENT"] = str(os.getppid())
    tempfile.tempdir = None                      # TMPDIR is the run's folder
    sys.dont_write_bytecode = bool(env.get("PYTHONDONTWRITEBYTECODE"))
    sys.argv = ["pytest", *argv]
    return int(pytest.main([*argv, f"--mltrainer-events-fd={events}"]))


if __name__ == "__main__":
    serve(int(sys.argv[1]))
