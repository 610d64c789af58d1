"""Kernel confinement of a worker: Landlock for files, network and signals; seccomp for the rest.

A worker calls `confine(policy)` on itself, single-threaded, before it
imports numpy or any candidate code. Both mechanisms need no privileges and
are inherited by every thread started later; neither can be lifted again.

- **Landlock** (Linux 5.13+; ABI version 1-7): the worker may read only what
  the policy lists (the interpreter's standard library, the allowed
  packages, system libraries), list the directories Python imports from, and
  read and write only its private folder. Every other file is out of reach:
  the workspace, the home folder, the progress database, mltrainer's own
  package, graders and references. Where the ABI has them: no TCP bind or
  connect (v4), no truncation outside the grants (v3), no signals to and no
  abstract unix sockets of processes outside the sandbox (v6). Landlock also
  forbids ptrace of any process outside the sandbox.
- **seccomp** (a BPF filter on system calls, after PR_SET_NO_NEW_PRIVS): no
  new processes (fork, vfork, exec, clone without CLONE_THREAD; clone3 answers
  ENOSYS so that threads fall back to clone), no ptrace or process_vm_*, no
  signals except to itself, no sockets, no System V or POSIX IPC objects
  (they outlive a process), no namespaces or mounts, no changes to file modes,
  owners, times or extended attributes (Landlock does not cover those), no
  resource-limit changes, no scheduling, priority or CPU-affinity changes
  (a grading run's processes share the CPU the engine chose), no timers
  that signal later (alarm, setitimer, timer_create: a handler would run
  between calls, beside the reference's timed ones), no asynchronous I/O
  signals, file leases or directory notices (fcntl, ioctl) and no inotify
  or fanotify watches, and
  nothing that needs privileges a worker running as root would otherwise
  have (modules, reboot, clocks, keyrings, raw I/O ports).

This module uses only the standard library (the worker loads it by file path
before anything else) and plain `ctypes` system calls.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import platform
import struct

# -- Landlock ------------------------------------------------------------------

_SYS_LANDLOCK_CREATE_RULESET = 444   # the same number on every architecture
_SYS_LANDLOCK_ADD_RULE = 445
_SYS_LANDLOCK_RESTRICT_SELF = 446
_LANDLOCK_CREATE_RULESET_VERSION = 1
_LANDLOCK_RULE_PATH_BENEATH = 1

FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_REMOVE_DIR = 1 << 4
FS_REMOVE_FILE = 1 << 5
FS_MAKE_CHAR = 1 << 6
FS_MAKE_DIR = 1 << 7
FS_MAKE_REG = 1 << 8
FS_MAKE_SOCK = 1 << 9
FS_MAKE_FIFO = 1 << 10
FS_MAKE_BLOCK = 1 << 11
FS_MAKE_SYM = 1 << 12
FS_REFER = 1 << 13        # ABI 2
FS_TRUNCATE = 1 << 14     # ABI 3
FS_IOCTL_DEV = 1 << 15    # ABI 5
NET_BIND_TCP = 1 << 0     # ABI 4
NET_CONNECT_TCP = 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0   # ABI 6
SCOPE_SIGNAL = 1 << 1

# Rights that make sense on a regular file (the kernel refuses the others there).
_FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV

# What each kind of grant in a policy allows.
GRANTS = {
    "read": FS_EXECUTE | FS_READ_FILE | FS_READ_DIR,
    "list": FS_READ_DIR,
    "device": FS_READ_FILE | FS_WRITE_FILE,
    # The private folder: files and folders may be made and removed; no
    # devices, sockets, fifos or symlinks are needed there.
    "private": (FS_READ_FILE | FS_READ_DIR | FS_WRITE_FILE | FS_REMOVE_DIR | FS_REMOVE_FILE | FS_MAKE_DIR
                | FS_MAKE_REG | FS_REFER | FS_TRUNCATE),
}


class ConfinementError(RuntimeError):
    """The kernel refused a confinement step that was asked for."""


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def landlock_abi() -> int:
    """The Landlock ABI version the kernel offers (0: none, or not Linux)."""
    if platform.system() != "Linux":
        return 0
    try:
        libc = _libc()
        libc.syscall.restype = ctypes.c_long
        version = libc.syscall(ctypes.c_long(_SYS_LANDLOCK_CREATE_RULESET), None, ctypes.c_size_t(0),
                               ctypes.c_uint32(_LANDLOCK_CREATE_RULESET_VERSION))
    except (OSError, AttributeError):
        return 0
    return max(0, int(version))


def _handled_fs(abi: int) -> int:
    rights = (1 << 13) - 1
    if abi >= 2:
        rights |= FS_REFER
    if abi >= 3:
        rights |= FS_TRUNCATE
    if abi >= 5:
        rights |= FS_IOCTL_DEV
    return rights


def _apply_landlock(abi: int, rules: list) -> None:
    libc = _libc()
    libc.syscall.restype = ctypes.c_long
    handled_fs = _handled_fs(abi)
    handled_net = NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0
    scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0
    # struct landlock_ruleset_attr {u64 handled_access_fs, handled_access_net, scoped}:
    # an older kernel accepts the larger struct as long as the fields it does
    # not know are zero.
    attr = ctypes.create_string_buffer(struct.pack("<QQQ", handled_fs, handled_net, scoped), 24)
    ruleset = libc.syscall(ctypes.c_long(_SYS_LANDLOCK_CREATE_RULESET), attr, ctypes.c_size_t(24),
                           ctypes.c_uint32(0))
    if ruleset < 0:
        raise ConfinementError(f"landlock_create_ruleset failed: {os.strerror(ctypes.get_errno())}")
    try:
        for path, grant in rules:
            access = GRANTS[grant] & handled_fs
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:  # a path that does not exist on this machine grants nothing
                continue
            try:
                if not _is_dir(fd):
                    access &= _FILE_RIGHTS
                if not access:
                    continue
                # struct landlock_path_beneath_attr {u64 allowed_access; s32 parent_fd} (packed)
                beneath = ctypes.create_string_buffer(struct.pack("<Qi", access, fd), 12)
                if libc.syscall(ctypes.c_long(_SYS_LANDLOCK_ADD_RULE), ctypes.c_int(ruleset),
                                ctypes.c_int(_LANDLOCK_RULE_PATH_BENEATH), beneath, ctypes.c_uint32(0)) < 0:
                    raise ConfinementError(f"landlock_add_rule({path}) failed: {os.strerror(ctypes.get_errno())}")
            finally:
                os.close(fd)
        if libc.syscall(ctypes.c_long(_SYS_LANDLOCK_RESTRICT_SELF), ctypes.c_int(ruleset), ctypes.c_uint32(0)) < 0:
            raise ConfinementError(f"landlock_restrict_self failed: {os.strerror(ctypes.get_errno())}")
    finally:
        os.close(ruleset)


def _is_dir(fd: int) -> bool:
    import stat
    return stat.S_ISDIR(os.fstat(fd).st_mode)


# -- seccomp -------------------------------------------------------------------

_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_PR_GET_SECCOMP = 21
_SECCOMP_MODE_FILTER = 2

_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
_X32_SYSCALL_BIT = 0x40000000

# Denied outright (EPERM). Numbers from the kernel's syscall tables; calls
# an architecture does not have are simply absent from its table.
_DENY_X86_64 = {
    "fork": 57, "vfork": 58, "execve": 59, "execveat": 322, "ptrace": 101, "process_vm_readv": 310,
    "process_vm_writev": 311, "tkill": 200, "pidfd_send_signal": 424, "pidfd_open": 434, "pidfd_getfd": 438,
    "socket": 41, "socketpair": 53, "unshare": 272, "setns": 308, "mount": 165, "umount2": 166,
    "pivot_root": 155, "chroot": 161, "move_mount": 429, "open_tree": 428, "open_tree_attr": 467, "fsopen": 430,
    "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442, "bpf": 321, "perf_event_open": 298,
    "userfaultfd": 323, "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "keyctl": 250,
    "add_key": 248, "request_key": 249, "kexec_load": 246, "kexec_file_load": 320, "init_module": 175,
    "finit_module": 313, "delete_module": 176, "reboot": 169, "swapon": 167, "swapoff": 168, "acct": 163,
    "settimeofday": 164, "clock_settime": 227, "clock_adjtime": 305, "adjtimex": 159, "sethostname": 170,
    "setdomainname": 171, "iopl": 172, "ioperm": 173, "quotactl": 179, "quotactl_fd": 443,
    "lookup_dcookie": 212, "open_by_handle_at": 304, "name_to_handle_at": 303, "fanotify_init": 300,
    "syslog": 103, "vhangup": 153, "kcmp": 312, "process_madvise": 440, "memfd_create": 319,
    "memfd_secret": 447, "chmod": 90, "fchmod": 91, "fchmodat": 268, "fchmodat2": 452, "chown": 92,
    "fchown": 93, "lchown": 94, "fchownat": 260, "utime": 132, "utimes": 235, "futimesat": 261,
    "utimensat": 280, "setxattr": 188, "lsetxattr": 189, "fsetxattr": 190, "removexattr": 197,
    "lremovexattr": 198, "fremovexattr": 199, "setxattrat": 463, "removexattrat": 466, "setuid": 105,
    "setgid": 106, "setreuid": 113, "setregid": 114, "setresuid": 117, "setresgid": 119, "setgroups": 116,
    "setfsuid": 122, "setfsgid": 123, "capset": 126, "shmget": 29, "shmat": 30, "shmctl": 31, "semget": 64,
    "semop": 65, "semctl": 66, "semtimedop": 220, "msgget": 68, "msgsnd": 69, "msgrcv": 70, "msgctl": 71,
    "mq_open": 240, "mq_unlink": 241, "mq_timedsend": 242, "mq_timedreceive": 243, "mq_notify": 244,
    "mq_getsetattr": 245, "setrlimit": 160, "sched_setparam": 142, "sched_setscheduler": 144,
    "sched_setattr": 314, "sched_setaffinity": 203, "setpriority": 141, "ioprio_set": 251,
    "migrate_pages": 256, "move_pages": 279, "nfsservctl": 180, "uselib": 134, "creat": 85,
    "alarm": 37, "setitimer": 38, "timer_create": 222,
    "inotify_init": 253, "inotify_init1": 294, "inotify_add_watch": 254, "fanotify_mark": 301,
}
_DENY_AARCH64 = {
    "execve": 221, "execveat": 281, "ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271,
    "tkill": 130, "pidfd_send_signal": 424, "pidfd_open": 434, "pidfd_getfd": 438, "socket": 198,
    "socketpair": 199, "unshare": 97, "setns": 268, "mount": 40, "umount2": 39, "pivot_root": 41, "chroot": 51,
    "move_mount": 429, "open_tree": 428, "open_tree_attr": 467, "fsopen": 430, "fsconfig": 431, "fsmount": 432,
    "fspick": 433, "mount_setattr": 442, "bpf": 280, "perf_event_open": 241, "userfaultfd": 282,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "keyctl": 219, "add_key": 217,
    "request_key": 218, "kexec_load": 104, "kexec_file_load": 294, "init_module": 105, "finit_module": 273,
    "delete_module": 106, "reboot": 142, "swapon": 224, "swapoff": 225, "acct": 89, "settimeofday": 170,
    "clock_settime": 112, "clock_adjtime": 266, "adjtimex": 171, "sethostname": 161, "setdomainname": 162,
    "quotactl": 60, "quotactl_fd": 443, "lookup_dcookie": 18, "open_by_handle_at": 265,
    "name_to_handle_at": 264, "fanotify_init": 262, "syslog": 116, "vhangup": 58, "kcmp": 272,
    "process_madvise": 440, "memfd_create": 279, "memfd_secret": 447, "fchmod": 52, "fchmodat": 53,
    "fchmodat2": 452, "fchown": 55, "fchownat": 54, "utimensat": 88, "setxattr": 5, "lsetxattr": 6,
    "fsetxattr": 7, "removexattr": 14, "lremovexattr": 15, "fremovexattr": 16, "setxattrat": 463,
    "removexattrat": 466, "setuid": 146, "setgid": 144, "setreuid": 145, "setregid": 143, "setresuid": 147,
    "setresgid": 149, "setgroups": 159, "setfsuid": 151, "setfsgid": 152, "capset": 91, "shmget": 194,
    "shmat": 196, "shmctl": 195, "semget": 190, "semop": 193, "semctl": 191, "semtimedop": 192, "msgget": 186,
    "msgsnd": 189, "msgrcv": 188, "msgctl": 187, "mq_open": 180, "mq_unlink": 181, "mq_timedsend": 182,
    "mq_timedreceive": 183, "mq_notify": 184, "mq_getsetattr": 185, "setrlimit": 164, "sched_setparam": 118,
    "sched_setscheduler": 119, "sched_setattr": 274, "sched_setaffinity": 122, "setpriority": 140,
    "ioprio_set": 30, "migrate_pages": 238, "move_pages": 239, "nfsservctl": 42,
    "setitimer": 103, "timer_create": 107,
    "inotify_init1": 26, "inotify_add_watch": 27, "fanotify_mark": 263,
}
# Calls allowed only under a condition on their arguments.
_COND_X86_64 = {"clone": 56, "clone3": 435, "kill": 62, "tgkill": 234, "rt_sigqueueinfo": 129,
                "rt_tgsigqueueinfo": 297, "prlimit64": 302, "truncate": 76, "open": 2, "openat": 257,
                "openat2": 437, "fcntl": 72, "ioctl": 16, "prctl": 157}
_COND_AARCH64 = {"clone": 220, "clone3": 435, "kill": 129, "tgkill": 131, "rt_sigqueueinfo": 138,
                 "rt_tgsigqueueinfo": 240, "prlimit64": 261, "truncate": 45, "openat": 56, "openat2": 437,
                 "fcntl": 25, "ioctl": 29, "prctl": 167}
# fcntl commands that make the kernel signal the worker later, or stall
# whoever opens its files: a lease (F_SETLEASE) blocks the grader's open of
# the worker's output for lease-break-time; O_ASYNC (F_SETFL), F_SETOWN(_EX),
# F_SETSIG and directory notices (F_NOTIFY) run a signal handler between calls.
_F_SETFL, _O_ASYNC = 4, 0o20000
_PR_SET_PDEATHSIG = 1
_FCNTL_DENIED = (8, 10, 15, 1024, 1026)   # F_SETOWN, F_SETSIG, F_SETOWN_EX, F_SETLEASE, F_NOTIFY
# The ioctls that do the same as O_ASYNC and F_SETOWN: FIOASYNC, FIOSETOWN, SIOCSPGRP.
_IOCTL_DENIED = (0x5452, 0x8901, 0x8902)

_CLONE_THREAD = 0x00010000
# CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWTIME
_CLONE_NAMESPACES = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000 | 0x80
_O_TRUNC = 0o1000

_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_JSET_K = 0x45
_RET_K = 0x06
_ALLOW = 0x7FFF0000
_KILL_PROCESS = 0x80000000


def _errno(code: int) -> int:
    return 0x00050000 | code


_EPERM = _errno(errno.EPERM)
_ENOSYS = _errno(errno.ENOSYS)


def _arg_lo(i: int) -> int:
    """Offset of the low 32 bits of argument i in struct seccomp_data (little-endian)."""
    return 16 + 8 * i


def _arg_hi(i: int) -> int:
    return 16 + 8 * i + 4


def seccomp_filter(pid: int, machine: str | None = None, *, block_truncation: bool = False) -> list:
    """The BPF program (a list of (code, jt, jf, k)) for a worker with process id `pid`.

    `block_truncation` also denies truncate(2) and opening with O_TRUNC, for
    Landlock ABIs older than 3, which do not control truncation.
    """
    machine = machine or platform.machine()
    if machine not in _AUDIT_ARCH:
        raise ConfinementError(f"no seccomp filter for the {machine} architecture")
    deny = _DENY_X86_64 if machine == "x86_64" else _DENY_AARCH64
    cond = _COND_X86_64 if machine == "x86_64" else _COND_AARCH64
    prog = [
        (_LD_W_ABS, 0, 0, 4),                           # A = arch
        (_JEQ_K, 1, 0, _AUDIT_ARCH[machine]),
        (_RET_K, 0, 0, _KILL_PROCESS),                  # another ABI (e.g. 32-bit calls): never
        (_LD_W_ABS, 0, 0, 0),                           # A = syscall number
    ]
    if machine == "x86_64":
        prog += [(_JGE_K, 0, 1, _X32_SYSCALL_BIT), (_RET_K, 0, 0, _EPERM)]
    for nr in sorted(set(deny.values())):
        prog += [(_JEQ_K, 0, 1, nr), (_RET_K, 0, 0, _EPERM)]

    def block(nr: int, body: list) -> None:
        # if A == nr: body (which always returns); else skip over it
        prog.append((_JEQ_K, 0, len(body), nr))
        prog.extend(body)

    def only_self(arg: int) -> list:
        # allow when the (int) argument is this process's id
        return [(_LD_W_ABS, 0, 0, _arg_lo(arg)), (_JEQ_K, 1, 0, pid & 0xFFFFFFFF), (_RET_K, 0, 0, _EPERM),
                (_RET_K, 0, 0, _ALLOW)]

    def self_or_zero(arg: int) -> list:
        return [(_LD_W_ABS, 0, 0, _arg_lo(arg)), (_JEQ_K, 2, 0, 0), (_JEQ_K, 1, 0, pid & 0xFFFFFFFF),
                (_RET_K, 0, 0, _EPERM), (_RET_K, 0, 0, _ALLOW)]

    # Threads only: clone must carry CLONE_THREAD and no namespace flag.
    block(cond["clone"], [(_LD_W_ABS, 0, 0, _arg_lo(0)), (_JSET_K, 1, 0, _CLONE_NAMESPACES),
                          (_JSET_K, 1, 0, _CLONE_THREAD), (_RET_K, 0, 0, _EPERM), (_RET_K, 0, 0, _ALLOW)])
    # clone3 passes its flags in memory a filter cannot read: ENOSYS makes
    # the C library fall back to clone, which is checked above.
    block(cond["clone3"], [(_RET_K, 0, 0, _ENOSYS)])
    block(cond["kill"], only_self(0))
    block(cond["tgkill"], only_self(0))
    block(cond["rt_sigqueueinfo"], only_self(0))
    block(cond["rt_tgsigqueueinfo"], only_self(0))
    # prlimit64 may read limits (new_limit NULL) of itself only; setrlimit is denied.
    block(cond["prlimit64"], [(_LD_W_ABS, 0, 0, _arg_lo(2)), (_JEQ_K, 1, 0, 0), (_RET_K, 0, 0, _EPERM),
                              (_LD_W_ABS, 0, 0, _arg_hi(2)), (_JEQ_K, 1, 0, 0), (_RET_K, 0, 0, _EPERM)]
          + self_or_zero(0))
    # No asynchronous I/O signals, leases or directory notices (above).
    block(cond["fcntl"], [(_LD_W_ABS, 0, 0, _arg_lo(1))]
          + [ins for command in _FCNTL_DENIED for ins in ((_JEQ_K, 0, 1, command), (_RET_K, 0, 0, _EPERM))]
          + [(_JEQ_K, 0, 3, _F_SETFL), (_LD_W_ABS, 0, 0, _arg_lo(2)), (_JSET_K, 0, 1, _O_ASYNC),
             (_RET_K, 0, 0, _EPERM), (_RET_K, 0, 0, _ALLOW)])
    block(cond["ioctl"], [(_LD_W_ABS, 0, 0, _arg_lo(1))]
          + [ins for request in _IOCTL_DENIED for ins in ((_JEQ_K, 0, 1, request), (_RET_K, 0, 0, _EPERM))]
          + [(_RET_K, 0, 0, _ALLOW)])
    # The death signal set before confinement stays: cleared, a worker busy
    # in a call would outlive its grader until its CPU limit.
    block(cond["prctl"], [(_LD_W_ABS, 0, 0, _arg_lo(0)), (_JEQ_K, 0, 1, _PR_SET_PDEATHSIG), (_RET_K, 0, 0, _EPERM),
                          (_RET_K, 0, 0, _ALLOW)])
    if block_truncation:
        block(cond["truncate"], [(_RET_K, 0, 0, _EPERM)])
        block(cond["openat2"], [(_RET_K, 0, 0, _ENOSYS)])
        flags_arg = {"open": 1, "openat": 2}
        for name, arg in flags_arg.items():
            if name in cond:
                block(cond[name], [(_LD_W_ABS, 0, 0, _arg_lo(arg)), (_JSET_K, 0, 1, _O_TRUNC),
                                   (_RET_K, 0, 0, _EPERM), (_RET_K, 0, 0, _ALLOW)])
    prog.append((_RET_K, 0, 0, _ALLOW))
    return prog


def _apply_seccomp(prog: list) -> None:
    libc = _libc()

    class SockFilter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                    ("k", ctypes.c_uint32)]

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]

    filters = (SockFilter * len(prog))(*[SockFilter(*ins) for ins in prog])
    fprog = SockFprog(len(prog), ctypes.cast(filters, ctypes.POINTER(SockFilter)))
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        raise ConfinementError(f"installing the seccomp filter failed: {os.strerror(ctypes.get_errno())}")


def seccomp_available() -> bool:
    """Whether this kernel accepts seccomp filters (and the architecture has a filter here)."""
    if platform.system() != "Linux" or platform.machine() not in _AUDIT_ARCH:
        return False
    try:
        libc = _libc()
        # PR_GET_SECCOMP answers 0 when the calling process is not in a seccomp
        # mode and the kernel was built with seccomp; -1/EINVAL otherwise.
        return libc.prctl(_PR_GET_SECCOMP, 0, 0, 0, 0) >= 0
    except (OSError, AttributeError):
        return False


# -- the whole confinement -------------------------------------------------------

def describe(landlock: int, seccomp: bool) -> str:
    """The isolation level as reports state it."""
    parts = ([f"landlock v{landlock}"] if landlock else []) + (["seccomp"] if seccomp else [])
    return " + ".join(parts)


def isolation_line(level: str, why_short: str) -> str:
    """A report's isolation line: the level reached, and why it falls short of full confinement, if it does."""
    if not why_short:
        return level
    return f"{level} only ({why_short})" if level else f"limits only ({why_short})"


@functools.lru_cache(maxsize=1)
def probe() -> tuple[int, bool, str]:
    """(Landlock ABI, seccomp available, why not fully available or '')."""
    if platform.system() != "Linux":
        return 0, False, f"no Landlock or seccomp on {platform.system()}"
    abi = landlock_abi()
    seccomp = seccomp_available()
    missing = []
    if not abi:
        missing.append("Landlock is not enabled in this kernel (it needs Linux 5.13+ with landlock in the lsm= list)")
    if not seccomp:
        missing.append(f"no seccomp filter for this kernel or architecture ({platform.machine()})")
    return abi, seccomp, "; ".join(missing)


def _threads() -> int:
    with open("/proc/self/stat", "rb") as handle:
        return int(handle.read().rsplit(b")", 1)[1].split()[17])


def confine(policy: dict) -> str:
    """Confine the calling process as `policy` says; return the level reached.

    policy: {"landlock": bool, "seccomp": bool, "rules": [[path, grant], ...]}
    with grants from GRANTS. Raises ConfinementError if a step that the
    policy asks for fails; the caller decides whether that is fatal.
    """
    if _threads() != 1:
        # Landlock and seccomp apply to the calling thread and its future
        # children only: a thread started earlier would stay free.
        raise ConfinementError("the worker has more than one thread before confinement")
    abi = landlock_abi() if policy.get("landlock") else 0
    want_seccomp = bool(policy.get("seccomp"))
    if not abi and not want_seccomp:
        return ""
    libc = _libc()
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise ConfinementError(f"PR_SET_NO_NEW_PRIVS failed: {os.strerror(ctypes.get_errno())}")
    if abi:
        _apply_landlock(abi, policy.get("rules", []))
    if want_seccomp:
        _apply_seccomp(seccomp_filter(os.getpid(), block_truncation=0 < abi < 3))
    return describe(abi, want_seccomp)
