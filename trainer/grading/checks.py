"""Assertions for graders whose failures teach.

Every failure says what input was used (`given`), what was expected and what
came back, in the user's terms. They raise `GradeFailure`, an AssertionError
whose message is shown to the user as it is.
"""

from __future__ import annotations

import numpy as np


class GradeFailure(AssertionError):
    """A check failed; the message is written for the user."""


def fail(message: str) -> None:
    raise GradeFailure(message)


def that(condition, message: str) -> None:
    """Fail with `message` unless `condition` holds.

    The message is made before the call, whether or not it is needed: where
    it shows a value (`show` takes tens of microseconds for an array), and
    the check runs often, write `if not condition: fail(...)` instead.
    """
    if not bool(condition):
        raise GradeFailure(message)


def _given(given: str | None) -> str:
    return f" for {given}" if given else ""


def count(n: int, singular: str, plural: str | None = None) -> str:
    """`n` and the noun in agreement with it: count(1, "item") is '1 item', count(3, "item") '3 items'."""
    return f"{n} {singular if n == 1 else (plural or singular + 's')}"


def _differ(bad: int, size: int) -> str:
    """'1 of 6 entries differs from the expected values', in agreement with both numbers."""
    entries = "entry" if size == 1 else "entries"
    verb = "differs" if bad == 1 else "differ"
    values = "value" if size == 1 else "values"
    return f"{bad} of {size} {entries} {verb} from the expected {values}"


def show(value, limit: int = 400) -> str:
    """A compact, readable rendering of a value for messages."""
    if isinstance(value, np.ndarray):
        with np.printoptions(precision=10, threshold=24, edgeitems=3, linewidth=100):
            text = np.array2string(value, separator=", ")
        text = f"{text}  ({value.dtype}, shape {value.shape})"
    elif isinstance(value, np.generic):
        text = repr(value.item())
    else:
        text = repr(value)
    return text if len(text) <= limit else text[:limit] + " ..."


def labelled(label: str, value) -> str:
    """`label value`, with the continuation lines of a multi-line value aligned under it."""
    return label + show(value).replace("\n", "\n" + " " * len(label))


def as_array(value, what: str, given: str | None = None) -> np.ndarray:
    """`value` as a numeric array, or a failure saying what came back instead."""
    try:
        arr = np.asarray(value)
    except Exception:  # ragged lists and the like
        fail(f"{what}{_given(given)} should be an array, got {show(value)}")
    if arr.dtype == object:
        fail(f"{what}{_given(given)} should be a numeric array, got {show(value)}")
    return arr


def shape(value, expected: tuple, *, what: str, given: str | None = None) -> np.ndarray:
    arr = as_array(value, what, given)
    that(arr.shape == tuple(expected),
         f"{what}{_given(given)} should have shape {tuple(expected)}, got shape {arr.shape}")
    return arr


def dtype(value, expected, *, what: str, given: str | None = None) -> None:
    arr = as_array(value, what, given)
    expected = np.dtype(expected)
    that(arr.dtype == expected, f"{what}{_given(given)} should have dtype {expected}, got {arr.dtype}")


def close(actual, expected, *, atol: float = 0.0, rtol: float = 0.0, what: str, given: str | None = None,
          equal_nan: bool = True) -> None:
    """|actual - expected| <= atol + rtol * |expected| elementwise, same shape.

    NaN matches NaN (when `equal_nan`), and infinities must match exactly.
    """
    exp = as_array(expected, "the expected value")
    act = as_array(actual, what, given)
    if act.shape != exp.shape:   # (a message that shows a value is made only when it is needed)
        fail(f"{what}{_given(given)} should have shape {exp.shape}, got shape {act.shape}: {show(actual)}")
    if act.dtype.kind not in "biufc":
        fail(f"{what}{_given(given)} should be numeric, got dtype {act.dtype}: {show(actual)}")
    if all_within(act, exp, atol=atol, rtol=rtol):
        return
    act64 = act.astype(np.complex128 if np.iscomplexobj(act) else np.float64)
    exp64 = exp.astype(np.complex128 if np.iscomplexobj(exp) else np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        both_nan = np.isnan(act64) & np.isnan(exp64) if equal_nan else np.zeros(act64.shape, bool)
        same_inf = np.isinf(exp64) & (act64 == exp64)
        diff = np.abs(act64 - exp64)
        # No tolerance covers an infinite difference (rtol * |inf| would).
        within = (diff <= atol + rtol * np.abs(exp64)) & np.isfinite(exp64) & np.isfinite(act64)
        ok = within | both_nan | same_inf
    if ok.all():
        return
    tolerance = " + ".join(p for p in (f"{atol:g}" if atol else "", f"{rtol:g}·|expected|" if rtol else "") if p) or "0"
    if not ok.ndim:  # a single value: no entries to count, no index to point at
        fail(f"{what}{_given(given)}: expected {show(exp[()])}, got {show(act[()])} (tolerance {tolerance}).")
    bad = np.argwhere(~ok)
    first = tuple(int(i) for i in bad[0])
    worst_diff = np.where(ok, 0, np.nan_to_num(diff, nan=np.inf))
    worst = np.unravel_index(int(np.argmax(worst_diff)), ok.shape)
    lines = [
        f"{what}{_given(given)}: {_differ(int((~ok).sum()), ok.size)} (tolerance {tolerance}).",
        f"  first at index {first}: expected {show(exp[first])}, got {show(act[first])}",
    ]
    if worst != first:
        lines.append(f"  largest difference at index {tuple(int(i) for i in worst)}: "
                     f"expected {show(exp[worst])}, got {show(act[worst])}")
    if exp.size <= 40:
        lines += [labelled("  expected: ", exp), labelled("  got:      ", act)]
    fail("\n".join(lines))


_BLOCK = 1 << 16   # entries per pass of `all_within`: its four block-sized arrays stay in the CPU's cache
_LARGEST = np.finfo(np.float64).max
_REAL_KINDS = "biuf"


def all_within(actual: np.ndarray, expected: np.ndarray, *, atol: float = 0.0, rtol: float = 0.0) -> bool:
    """Whether |actual - expected| <= atol + rtol * |expected| holds at every entry of two real arrays.

    `close`'s passing case, for graders that check a large timed result
    first and explain a failure (with `close` or other checks) only when
    this says False. Block by block, in buffers reused for every block,
    with the same arithmetic as `close`. NaN and infinities never pass here
    (a bound that rtol * |inf| makes infinite is cut to the largest float):
    `close` decides those on the whole array (NaN matching NaN, equal
    infinities). Nor does anything but two real arrays of the same shape:
    a complex result (its imaginary part), strings that parse as numbers or
    a part of the expected array are for the caller's full check to judge.
    """
    if (actual.shape != expected.shape or actual.dtype.kind not in _REAL_KINDS
            or expected.dtype.kind not in _REAL_KINDS):
        return False
    act = actual.astype(np.float64, copy=False).reshape(-1)
    exp = expected.astype(np.float64, copy=False).reshape(-1)
    size = min(act.size, _BLOCK)
    diff, bound, ok = np.empty(size), np.empty(size), np.empty(size, dtype=bool)
    with np.errstate(invalid="ignore", over="ignore"):
        for start in range(0, act.size, _BLOCK):
            a, e = act[start:start + _BLOCK], exp[start:start + _BLOCK]
            d, b, k = diff[:a.size], bound[:a.size], ok[:a.size]
            np.abs(np.subtract(a, e, out=d), out=d)
            np.add(np.multiply(np.abs(e, out=b), rtol, out=b), atol, out=b)
            np.minimum(b, _LARGEST, out=b)
            if not np.less_equal(d, b, out=k).all():
                return False
    return True


def equal(actual, expected, *, what: str, given: str | None = None) -> None:
    """Exact equality of arrays (same shape) or of plain values."""
    if isinstance(expected, np.ndarray) or isinstance(actual, np.ndarray):
        exp = as_array(expected, "the expected value")
        act = as_array(actual, what, given)
        if act.shape != exp.shape:
            fail(f"{what}{_given(given)} should have shape {exp.shape}, got shape {act.shape}: {show(actual)}")
        same = act == exp
        if exp.dtype.kind in "fc" and act.dtype.kind in "fc":
            same = same | (np.isnan(act) & np.isnan(exp))
        if np.all(same):
            return
        if not exp.ndim:  # a single value: no entries to count, no index to point at
            fail(f"{what}{_given(given)}: expected {show(exp[()])}, got {show(act[()])}")
        bad = np.argwhere(~np.asarray(same))
        first = tuple(int(i) for i in bad[0]) if bad.size else ()
        lines = [f"{what}{_given(given)}: {_differ(len(bad), exp.size)}.",
                 f"  first at index {first}: expected {show(exp[first])}, got {show(act[first])}"]
        if exp.size <= 40:
            lines += [labelled("  expected: ", exp), labelled("  got:      ", act)]
        fail("\n".join(lines))
    if not bool(actual == expected):
        fail(f"{what}{_given(given)}: expected {show(expected)}, got {show(actual)}")


def same_rng_state(got, state) -> bool:
    """Whether `got`, data the worker sent (of any kind), is the generator state `state`.

    `state` is a `bit_generator.state` (nested dicts of ints and strs, as
    `solution.inputs_after` reports an rng argument); anything else the
    worker sends is simply not equal, never compared elementwise.
    """
    if isinstance(state, dict):
        return isinstance(got, dict) and got.keys() == state.keys() and \
            all(same_rng_state(got[key], value) for key, value in state.items())
    return type(got) is type(state) and got == state


def raises(exc_type, func, *args, given: str | None = None, **kwargs) -> BaseException:
    """Call func(*args, **kwargs) and require it to raise `exc_type`."""
    name = getattr(func, "__name__", None) or getattr(func, "name", "the function")
    try:
        result = func(*args, **kwargs)
    except exc_type as exc:
        return exc
    except Exception as exc:
        fail(f"{name}(){_given(given)} should raise {exc_type.__name__}, "
             f"but raised {type(exc).__name__}: {exc}")
    fail(f"{name}(){_given(given)} should raise {exc_type.__name__}, but returned {show(result)}")
