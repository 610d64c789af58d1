"""Measure and remove folder trees whose shape a candidate chose.

A worker may build anything in its private folder: thousands of nested
folders (deeper than Python's recursion limit, so `shutil.rmtree` raises
RecursionError), paths longer than PATH_MAX (so a walk by full path fails with
ENAMETOOLONG and skips what is below), symbolic links, unreadable folders.
Both functions here work from open folder descriptors (`dir_fd`), one name
at a time: no path string is ever longer than a name, nothing recurses in
Python, links are never followed.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import NamedTuple

# Deeper than this is over the disk limit: no honest solution nests folders so.
MAX_DEPTH = 256
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# Folders `remove_tree` keeps open at once; a deeper subtree is first moved up to the root.
_REMOVE_DEPTH = 32


class TreeUsage(NamedTuple):
    """What a folder holds: bytes of disk, entries, depth; `over` names the first limit it broke ("" if none)."""

    bytes: int
    entries: int
    depth: int
    over: str = ""


def measure_tree(root: str | os.PathLike, *, max_bytes: int | None = None, max_entries: int | None = None,
                 max_depth: int = MAX_DEPTH) -> TreeUsage:
    """Disk used (st_blocks, else st_size), entries and depth below `root`, without following links.

    Stops as soon as a limit is exceeded (`over` is then "bytes", "entries"
    or "depth"). An entry that vanishes meanwhile (ENOENT) is not counted;
    any other error ("unreadable": a folder it cannot open or list, a file
    it cannot stat) counts as over the limit, since what it hides is unknown.
    The root's own entry is not counted; its children are at depth 1.
    """
    total = count = deepest = 0
    try:
        root_fd = os.open(root, _DIR_FLAGS)
    except FileNotFoundError:
        return TreeUsage(0, 0, 0)
    except OSError as exc:
        return TreeUsage(0, 0, 0, f"unreadable ({errno.errorcode.get(exc.errno, exc.errno)})")
    # One frame per open folder: its descriptor, and the names of its subfolders not yet visited.
    stack: list[tuple[int, list[str]]] = []
    over = ""
    fd = root_fd
    try:
        while True:
            depth = len(stack) + 1      # of the entries of the folder `fd`
            subfolders: list[str] = []
            try:
                with os.scandir(fd) as scan:
                    for entry in scan:
                        count += 1
                        if depth > deepest:
                            deepest = depth
                        try:
                            info = entry.stat(follow_symlinks=False)
                        except FileNotFoundError:
                            continue
                        total += getattr(info, "st_blocks", 0) * 512 or info.st_size
                        if stat.S_ISDIR(info.st_mode):
                            subfolders.append(entry.name)
                        over = _over(total, count, deepest, max_bytes, max_entries, max_depth)
                        if over:
                            break
            except FileNotFoundError:
                pass
            stack.append((fd, subfolders))
            fd = -1
            if over:
                break
            # The next folder to visit: the last pending subfolder of the deepest frame that has one.
            while stack and fd < 0:
                parent, pending = stack[-1]
                if not pending:
                    if parent != root_fd:
                        os.close(parent)
                    stack.pop()
                    continue
                name = pending.pop()
                try:
                    fd = os.open(name, _DIR_FLAGS, dir_fd=parent)
                except FileNotFoundError:
                    continue
            if fd < 0:
                break
    except OSError as exc:
        over = f"unreadable ({errno.errorcode.get(exc.errno, exc.errno)})"
    finally:
        if fd >= 0 and fd != root_fd:
            os.close(fd)
        for parent, _ in stack:
            if parent != root_fd:
                os.close(parent)
        os.close(root_fd)
    return TreeUsage(total, count, deepest, over)


def _over(total: int, count: int, depth: int, max_bytes: int | None, max_entries: int | None,
          max_depth: int | None) -> str:
    if max_bytes is not None and total > max_bytes:
        return "bytes"
    if max_entries is not None and count > max_entries:
        return "entries"
    if max_depth is not None and depth > max_depth:
        return "depth"
    return ""


def remove_tree(path: str | os.PathLike) -> bool:
    """Remove `path` and everything below it, best effort; True if it is gone.

    Never follows a link (a link is removed, not what it points to), never
    raises for what the tree holds (an entry it cannot remove stays), works
    at any depth with a bounded number of open descriptors: a subtree deeper
    than `_REMOVE_DEPTH` below the folder being walked is first renamed into
    the root, then removed from there. Folders a candidate made unreadable or
    read-only are given back their owner's permissions first. Only `path`
    itself is given as a path (its parent must be a trusted folder).
    """
    path = Path(path)
    try:
        parent_fd = os.open(path.parent, _DIR_FLAGS)
    except OSError:
        return not os.path.lexists(path)
    try:
        return _remove_entry(parent_fd, path.name)
    finally:
        os.close(parent_fd)


def _remove_entry(parent_fd: int, name: str) -> bool:
    try:
        info = os.stat(name, dir_fd=parent_fd, follow_symlinks=False)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode):
        return _unlink(parent_fd, name)
    root_fd = _open_folder(parent_fd, name)
    if root_fd < 0:
        return _rmdir(parent_fd, name)
    try:
        _empty(root_fd)
    finally:
        os.close(root_fd)
    return _rmdir(parent_fd, name)


def _empty(root_fd: int) -> None:
    """Remove everything in the open folder `root_fd`, bottom-up, without recursion."""
    # One frame per open folder: (descriptor, its name in the folder above, subfolders left to remove).
    stack: list[tuple[int, str, list[str]]] = [(root_fd, "", _clear_files(root_fd))]
    moved = 0
    try:
        while stack:
            fd, name, pending = stack[-1]
            if not pending:
                stack.pop()
                if stack:
                    os.close(fd)
                    _rmdir(stack[-1][0], name)
                continue
            child_name = pending.pop()
            if len(stack) > _REMOVE_DEPTH:
                # One descriptor more is too many: the subtree moves up into the root and goes from there.
                moved, new_name = _move_to_root(fd, child_name, root_fd, moved)
                if new_name:
                    stack[0][2].append(new_name)
                    continue
            child = _open_folder(fd, child_name)
            if child < 0:      # gone, or no longer a folder: it goes as a plain entry, if at all
                _unlink(fd, child_name)
                continue
            stack.append((child, child_name, _clear_files(child)))
    finally:
        for fd, _, _ in stack[1:]:
            os.close(fd)


def _clear_files(fd: int) -> list[str]:
    """Unlink every entry of the open folder `fd` but its subfolders; return their names."""
    try:
        with os.scandir(fd) as scan:
            entries = [(entry.name, entry.is_dir(follow_symlinks=False)) for entry in scan]
    except OSError:
        return []
    folders = []
    for name, is_dir in entries:
        if is_dir:
            folders.append(name)
        else:
            _unlink(fd, name)
    return folders


def _open_folder(parent_fd: int, name: str) -> int:
    """`name` in `parent_fd` opened as a folder (never through a link) we may empty; -1 if it cannot be."""
    try:
        fd = os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
    except PermissionError:
        # Made unreadable (chmod 000): give it back its owner's rights through a descriptor
        # that cannot be a link, then open it again.
        try:
            handle = os.open(name, getattr(os, "O_PATH", 0o10000000) | _DIR_FLAGS, dir_fd=parent_fd)
        except OSError:
            return -1
        try:
            os.chmod(f"/proc/self/fd/{handle}", 0o700)
            fd = os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
        except OSError:
            return -1
        finally:
            os.close(handle)
    except OSError:
        return -1
    try:   # a folder without write or search permission keeps its entries
        mode = os.fstat(fd).st_mode
        if mode & 0o700 != 0o700:
            os.fchmod(fd, stat.S_IMODE(mode) | 0o700)
    except OSError:
        pass
    return fd


def _move_to_root(fd: int, name: str, root_fd: int, moved: int) -> tuple[int, str]:
    """Rename `name` in `fd` to a fresh name in `root_fd`; (the counter after, the new name or "" if it failed)."""
    for _ in range(100):
        moved += 1
        new_name = f".mltrainer-remove-{moved}"
        try:
            os.stat(new_name, dir_fd=root_fd, follow_symlinks=False)
            continue        # taken
        except FileNotFoundError:
            pass
        except OSError:
            return moved, ""
        try:
            os.rename(name, new_name, src_dir_fd=fd, dst_dir_fd=root_fd)
        except OSError:
            return moved, ""
        return moved, new_name
    return moved, ""


def _unlink(parent_fd: int, name: str) -> bool:
    try:
        os.unlink(name, dir_fd=parent_fd)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return True


def _rmdir(parent_fd: int, name: str) -> bool:
    try:
        os.rmdir(name, dir_fd=parent_fd)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return True
