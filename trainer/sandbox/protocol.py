"""The data-only wire format between the trusted grader and a sandboxed worker.

A message is one frame: an 8-byte little-endian length of the rest (the
payload), then the 4-byte lengths of a JSON header and of a JSON table of
buffer sizes, the header, the table, and the raw buffers of the numpy arrays
the header refers to, each starting at a multiple of ALIGN bytes from the
start of the payload (zero bytes pad the gaps). Read into a bytearray, whose
memory starts at a multiple of 16, every array decoded is aligned as numpy
requires (an itemsize is at most 16): the same input is equally fast to
work on in every worker, whatever the length of the header before it (a
misaligned float64 array is 10-25% slower to reduce or exponentiate).

Only data crosses: arrays of non-object dtypes, numpy scalars, Python
scalars, strings, bytes, None, and lists / tuples / dicts of those. Nothing
is ever pickled, so decoding a message cannot run code.

Decoding assumes nothing of the sender: every size is checked against the
frame before it is used, and each buffer may back one value only, so a
small frame cannot decode into a large value (the same array referred to a
thousand times). It costs time linear in the frame's size, whatever the
frame holds:

- the mappings of one message hold at most MAX_PAIRS (2**20) key/value
  pairs in all (graders exchange dicts of a few named entries);
- at most MAX_SAME_HASH (8) keys of one mapping may share one hash value.
  Inserting a key into a dict compares it with every earlier key of its
  hash, and ints, floats and tuples of them hash the same in every process
  (k * (2**61 - 1) hashes to 0 for every int k): 100 000 such keys, a 3 MB
  header, took the decoder 109 s to insert, 540 000 (16 MiB) nearly an
  hour. Distinct keys of real data share a hash value by accident only (-1
  and -2, say);
- an integer in a JSON header has at most MAX_INT_DIGITS (4300) digits
  (converting decimal digits is quadratic in their number).

This module is imported by the worker by file path, without the `trainer`
package on `sys.path`: it must import nothing from `trainer`.
"""

from __future__ import annotations

import json
import math
import os
import struct
import sys

import numpy as np

# dtype kinds that are plain data: bool, ints, floats, complex, str, bytes,
# datetimes. Object ('O') and structured/void ('V') dtypes are refused: an
# object array would need pickling, a structured one can hide objects.
_DATA_KINDS = frozenset("biufcUSMm")

MAX_DEPTH = 64
# Key/value pairs in all the mappings of one message (module docstring).
MAX_PAIRS = 1 << 20
# Keys of one mapping that may share one hash value (module docstring).
MAX_SAME_HASH = 8
# Digits of an integer in a JSON header: CPython's own default limit (sys.get_int_max_str_digits).
MAX_INT_DIGITS = 4300
# Where each buffer of a frame starts: a multiple of this from the payload's start (a cache line).
ALIGN = 64


def _aligned(pos: int) -> int:
    return -(-pos // ALIGN) * ALIGN


class EncodeError(TypeError):
    """A value that is not plain data was asked to cross the boundary."""


class DecodeError(ValueError):
    """A frame that does not follow the protocol."""


def _describe(value) -> str:
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}" if kind.__module__ != "builtins" else kind.__qualname__


class Encoder:
    """Turns a value into (header, buffers). Subclasses may add tagged types."""

    def __init__(self) -> None:
        self.buffers: list[bytes | memoryview] = []

    def encode(self, value, depth: int = 0):
        if depth > MAX_DEPTH:
            raise EncodeError("value is nested too deeply")
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, np.generic):
            # Before the Python types: np.float64 is a float subclass, and
            # numpy scalars must come back as numpy scalars (dtype kept).
            return {"$s": self._array(np.asarray(value))}
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            return value if np.isfinite(value) else {"$f": repr(value)}
        if isinstance(value, complex):
            return {"$c": [self.encode(value.real), self.encode(value.imag)]}
        if isinstance(value, (bytes, bytearray)):
            self.buffers.append(bytes(value))
            return {"$b": len(self.buffers) - 1}
        if isinstance(value, np.ndarray):
            return {"$a": self._array(value)}
        if isinstance(value, tuple):
            return {"$t": [self.encode(v, depth + 1) for v in value]}
        if isinstance(value, list):
            if _plain_json(value):   # (a corpus of 400 000 tokens: 30x faster than one call per item)
                return value
            return [self.encode(v, depth + 1) for v in value]
        if isinstance(value, dict):
            return {"$d": [[self.encode(k, depth + 1), self.encode(v, depth + 1)] for k, v in value.items()]}
        return self.encode_other(value, depth)

    def encode_other(self, value, depth: int):
        raise EncodeError(
            f"a {_describe(value)} cannot be checked: return numpy arrays, numbers, "
            "strings, None, or lists / tuples / dicts of those"
        )

    def _array(self, arr: np.ndarray) -> list:
        if arr.dtype.kind not in _DATA_KINDS:
            raise EncodeError(f"a numpy array of dtype {arr.dtype} cannot be checked (use a numeric dtype)")
        if not arr.flags.c_contiguous:  # (np.ascontiguousarray would turn 0-d into 1-d)
            arr = arr.copy(order="C")
        self.buffers.append(memoryview(arr).cast("B") if arr.size else b"")
        return [arr.dtype.str, list(arr.shape), len(self.buffers) - 1]


_JSON_SCALARS = frozenset({str, int})
_DECODED_SCALARS = frozenset({str, int, float, bool, type(None)})


def _plain_json(items: list) -> bool:
    """Whether every item of a list is a str, an int or a finite float (exactly those types: no bool, no numpy
    scalar, no subclass), so that JSON carries the list as it is."""
    kinds = set(map(type, items))
    if kinds <= _JSON_SCALARS:
        return True
    return kinds <= {str, int, float} and all(map(math.isfinite, (v for v in items if type(v) is float)))


class Decoder:
    """Rebuilds a value from (header, buffers). Subclasses may add tagged types."""

    def __init__(self, buffers: list[memoryview]) -> None:
        self.buffers = buffers
        self._used: set[int] = set()
        self._pairs = 0     # key/value pairs of the mappings decoded so far

    def _buffer(self, index) -> memoryview:
        """Buffer `index`, which no other value of this message uses."""
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(self.buffers):
            raise DecodeError(f"no buffer {index!r}")
        if index in self._used:
            raise DecodeError(f"buffer {index} is used twice")
        self._used.add(index)
        return self.buffers[index]

    def decode(self, node, depth: int = 0):
        if depth > MAX_DEPTH:
            raise DecodeError("message is nested too deeply")
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            if set(map(type, node)) <= _DECODED_SCALARS:   # what json.loads made is the value already
                return node
            return [self.decode(v, depth + 1) for v in node]
        if not isinstance(node, dict) or len(node) != 1:
            raise DecodeError(f"unexpected node {node!r:.80}")
        (tag, body), = node.items()
        if tag == "$t":
            if not isinstance(body, list):
                raise DecodeError("a tuple must be a list of values")
            return tuple(self.decode(v, depth + 1) for v in body)
        if tag == "$d":
            if not isinstance(body, list) or not all(isinstance(p, list) and len(p) == 2 for p in body):
                raise DecodeError("a dict must be a list of [key, value] pairs")
            self._pairs += len(body)
            if self._pairs > MAX_PAIRS:
                raise DecodeError(f"more than {MAX_PAIRS} key/value pairs in the dicts of one message")
            plain, decode, inner = _DECODED_SCALARS, self.decode, depth + 1   # (what json.loads made is the value)
            items = [(k if type(k) in plain else self._key(decode(k, inner)),
                      v if type(v) in plain else decode(v, inner)) for k, v in body]
            if len(items) > MAX_SAME_HASH:
                _check_hashes(items)
            return dict(items)
        if tag == "$a":
            return self._array(body)
        if tag == "$s":
            return self._array(body)[()]
        if tag == "$f":
            if body not in ("nan", "inf", "-inf"):
                raise DecodeError(f"unexpected float {body!r:.40}")
            return float(body)
        if tag == "$c":
            if not isinstance(body, list) or len(body) != 2:
                raise DecodeError("a complex number must be [real, imag]")
            parts = [self.decode(b, depth + 1) for b in body]
            if not all(isinstance(p, (int, float)) and not isinstance(p, bool) for p in parts):
                raise DecodeError("a complex number must have real parts")
            return complex(*parts)
        if tag == "$b":
            return bytes(self._buffer(body))
        return self.decode_other(tag, body, depth)

    @staticmethod
    def _key(key):
        key = key if not isinstance(key, list) else tuple(key)
        try:
            hash(key)
        except TypeError:
            raise DecodeError("a dict key must be hashable") from None
        return key

    def decode_other(self, tag: str, body, depth: int):
        raise DecodeError(f"unknown tag {tag!r}")

    def _array(self, body) -> np.ndarray:
        if not isinstance(body, list) or len(body) != 3:
            raise DecodeError("an array must be [dtype, shape, buffer]")
        dtype_str, shape, index = body
        if not isinstance(dtype_str, str) or len(dtype_str) > 16 or not isinstance(shape, list) or len(shape) > 32:
            raise DecodeError("malformed array description")
        try:
            dtype = np.dtype(dtype_str)
        except (TypeError, ValueError):
            raise DecodeError(f"unknown dtype {dtype_str!r}") from None
        if dtype.kind not in _DATA_KINDS or dtype.subdtype is not None or dtype.itemsize == 0:
            raise DecodeError(f"refused dtype {dtype}")
        if not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape):
            raise DecodeError("an array shape must be non-negative integers")
        shape = tuple(shape)
        buf = self._buffer(index)
        count = math.prod(shape)
        if count * dtype.itemsize != len(buf):
            raise DecodeError("array buffer does not match its shape")
        if count == 0:
            return np.empty(shape, dtype=dtype)
        # No copy: the array is a view of the frame, writable when the frame was read into a
        # bytearray, read-only when it is a sealed mapping (client.py `_sealed_frame`).
        return np.frombuffer(buf, dtype=dtype, count=count).reshape(shape)


def _check_hashes(items: list) -> None:
    """DecodeError if more than MAX_SAME_HASH keys of `items` ((key, value) pairs) share one hash value.

    Checked before the dict is built, in time O(n log n) whatever the hash
    values (sorted as int64s, not counted in a dict of their own).
    """
    hashes = np.fromiter((hash(key) for key, _ in items), dtype=np.int64, count=len(items))
    hashes.sort()
    same = hashes[MAX_SAME_HASH:] == hashes[:-MAX_SAME_HASH]   # MAX_SAME_HASH + 1 equal values in a row
    if same.any():
        value = int(hashes[MAX_SAME_HASH:][same.argmax()])
        count = int(np.count_nonzero(hashes == value))
        raise DecodeError(f"a dict of {len(items)} keys of which {count} have the same hash value "
                          f"(at most {MAX_SAME_HASH} may: keys made to collide cost quadratic time to insert)")


def _bounded_int(text: str) -> int:
    if len(text) - text.startswith("-") > MAX_INT_DIGITS:
        raise ValueError(f"an integer of more than {MAX_INT_DIGITS} digits")
    return int(text)


def _loads(data: bytes):
    """json.loads, refusing (ValueError) an integer of more than MAX_INT_DIGITS digits."""
    limit = getattr(sys, "get_int_max_str_digits", None)
    if limit is not None and 0 < limit() <= MAX_INT_DIGITS:
        return json.loads(data)          # int() refuses longer integers itself (ValueError)
    return json.loads(data, parse_int=_bounded_int)   # Python < 3.10.7, or the limit lifted: slower


def pack(message: dict, encoder: Encoder | None = None) -> list:
    """Encode a message into the list of byte chunks of one frame."""
    encoder = encoder or Encoder()
    header = json.dumps(encoder.encode(message), allow_nan=False, separators=(",", ":")).encode()
    sizes = [len(b) if isinstance(b, bytes) else b.nbytes for b in encoder.buffers]
    table = json.dumps(sizes).encode()
    prefix = struct.pack("<II", len(header), len(table))
    chunks = [None, prefix, header, table]
    pos = len(prefix) + len(header) + len(table)
    for buffer, size in zip(encoder.buffers, sizes):
        start = _aligned(pos)
        if start > pos:
            chunks.append(bytes(start - pos))
        chunks.append(buffer)
        pos = start + size
    chunks[0] = struct.pack("<Q", pos)
    return chunks


def split(payload: bytearray, max_header: int | None = None) -> tuple:
    """Split the payload of one frame into its (undecoded) header and buffers.

    `max_header` caps the JSON parts: a JSON header decodes into Python
    objects several times its size, unlike the raw buffers.
    """
    view = memoryview(payload)
    if len(view) < 8:
        raise DecodeError("truncated frame")
    header_len, table_len = struct.unpack_from("<II", view, 0)
    if 8 + header_len + table_len > len(view):
        raise DecodeError("frame shorter than its header")
    if max_header is not None and header_len + table_len > max_header:
        raise DecodeError(f"message header of {header_len + table_len} bytes (at most {max_header})")
    pos = 8
    try:
        header = _loads(bytes(view[pos:pos + header_len]))
        pos += header_len
        sizes = _loads(bytes(view[pos:pos + table_len]))
    except (ValueError, RecursionError) as exc:
        raise DecodeError(f"unreadable message header: {exc}"[:200]) from None
    pos += table_len
    if not isinstance(sizes, list) or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0
                                              for n in sizes):
        raise DecodeError("malformed buffer table")
    starts = []
    for size in sizes:
        pos = _aligned(pos)
        if pos + size > len(view):
            raise DecodeError("frame length does not match its contents")
        starts.append(pos)
        pos += size
    if pos != len(view):
        raise DecodeError("frame length does not match its contents")
    return header, [view[start:start + size] for start, size in zip(starts, sizes)]


def fields(header) -> dict:
    """The top-level fields of a message header, each still undecoded."""
    if not (isinstance(header, dict) and set(header) == {"$d"} and isinstance(header["$d"], list)
            and all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) for p in header["$d"])):
        raise DecodeError("a message must be a dict of named fields")
    return {key: node for key, node in header["$d"]}


def unpack(payload: bytearray, decoder_cls=Decoder):
    """Decode the payload of one frame (without its 8-byte length)."""
    header, buffers = split(payload)
    return decoder_cls(buffers).decode(header)


_IOV_MAX = 1024   # the least IOV_MAX of the systems mltrainer runs on (POSIX allows no fewer than 16; Linux has 1024)


def write_some(fd: int, views: list) -> list:
    """Write as much of `views` (byte memoryviews) as one writev takes; what is left to write.

    One system call per frame rather than one per chunk: each write to a
    pipe wakes the process reading it, and a frame written in five pieces
    would wake it five times.
    """
    written = os.writev(fd, views[:_IOV_MAX])
    done = 0                                 # views written whole
    while done < len(views) and written >= len(views[done]):
        written -= len(views[done])
        done += 1
    rest = views[done:]
    if written:
        rest[0] = rest[0][written:]
    return rest


def frame_views(chunks: list) -> list:
    """The non-empty chunks of a frame as byte memoryviews, for `write_some`."""
    return [view for view in (memoryview(chunk).cast("B") for chunk in chunks) if view.nbytes]


def write_frame(fd: int, chunks: list) -> None:
    views = frame_views(chunks)
    while views:
        views = write_some(fd, views)


def read_exact(fd: int, size: int) -> bytearray | None:
    """Read exactly `size` bytes from fd; None on end of file."""
    buf = bytearray(size)
    view = memoryview(buf)
    got = 0
    while got < size:
        n = os.readv(fd, [view[got:]])
        if n == 0:
            return None
        got += n
    return buf


def read_frame(fd: int) -> bytearray | None:
    head = read_exact(fd, 8)
    if head is None:
        return None
    (total,) = struct.unpack("<Q", head)
    return read_exact(fd, total)
