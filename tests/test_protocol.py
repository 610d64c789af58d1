"""The data-only wire format: what crosses, what is refused."""

import numpy as np
import pytest

from trainer.sandbox import protocol
from trainer.sandbox.client import SEALED_INPUTS, StoredRef, Worker
from trainer.sandbox.limits import Limits


def roundtrip(value):
    chunks = protocol.pack({"v": value})
    payload = bytearray(b"".join(bytes(memoryview(c).cast("B")) for c in chunks)[8:])
    return protocol.unpack(payload)["v"]


@pytest.mark.parametrize("value", [
    None, True, 0, -7, 2**100, 1.5, "text", b"\x00bytes", 1 + 2j, [1, "a", None], (1, (2, 3)),
    {"a": 1, 2: "b", (1, 2): [3]},
])
def test_plain_values_roundtrip(value):
    assert roundtrip(value) == value
    assert type(roundtrip(value)) is type(value)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_floats_roundtrip(value):
    got = roundtrip(value)
    assert (np.isnan(got) and np.isnan(value)) or got == value


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "uint8", "bool", "complex128", "<U5"])
def test_arrays_keep_dtype_shape_and_values(dtype):
    arr = np.arange(12).reshape(3, 4).astype(dtype)
    got = roundtrip(arr)
    assert got.dtype == arr.dtype and got.shape == arr.shape
    np.testing.assert_array_equal(got, arr)
    got[0, 0] = got[1, 1]  # decoded arrays are writable


def test_non_contiguous_and_empty_arrays():
    arr = np.arange(20.0).reshape(4, 5)[:, ::2]
    np.testing.assert_array_equal(roundtrip(arr), arr)
    assert roundtrip(np.empty((0, 3))).shape == (0, 3)


@pytest.mark.parametrize("value", [np.float32(1.5), np.float64(2.5), np.float64(-np.inf), np.float64(np.nan),
                                   np.int64(-3), np.bool_(True), np.complex64(1 - 2j)])
def test_numpy_scalars_stay_numpy_scalars(value):
    got = roundtrip(value)
    assert type(got) is type(value)
    assert got == value or (np.isnan(got) and np.isnan(value))


def test_object_arrays_and_objects_are_refused():
    with pytest.raises(protocol.EncodeError):
        protocol.pack({"v": np.array([object()], dtype=object)})
    with pytest.raises(protocol.EncodeError, match="cannot be checked"):
        protocol.pack({"v": object()})


def test_decoder_refuses_object_dtype_in_a_forged_frame():
    decoder = protocol.Decoder([memoryview(bytearray(8))])
    with pytest.raises(protocol.DecodeError):
        decoder.decode({"$a": ["|O", [1], 0]})


def test_decoder_refuses_mismatched_buffer():
    decoder = protocol.Decoder([memoryview(bytearray(7))])
    with pytest.raises(protocol.DecodeError):
        decoder.decode({"$a": ["<f8", [1], 0]})


# -- frames from a sender that does not follow the rules ------------------------------

def frame(header, buffers=(), table=None):
    """The payload of a frame with a hand-written header (what a hostile worker can send)."""
    import json
    import struct
    head = json.dumps(header).encode()
    sizes = json.dumps([len(b) for b in buffers] if table is None else table).encode()
    payload = bytearray(struct.pack("<II", len(head), len(sizes)) + head + sizes)
    for b in buffers:                       # each at a multiple of protocol.ALIGN, as split expects
        payload += bytes(-len(payload) % protocol.ALIGN) + b
    return payload


def decode(payload, **kwargs):
    header, buffers = protocol.split(payload, **kwargs)
    return protocol.Decoder(buffers).decode(header)


def test_a_buffer_backs_one_value_only():
    # One 8-byte buffer referred to twice would decode into twice the bytes received.
    twice = {"$t": [{"$a": ["<f8", [1], 0]}, {"$a": ["<f8", [1], 0]}]}
    with pytest.raises(protocol.DecodeError, match="buffer 0 is used twice"):
        decode(frame(twice, [b"\0" * 8]))


@pytest.mark.parametrize("shape, why", [
    ([-1, -8], "non-negative"),
    ([2 ** 62, 4], "does not match"),      # would overflow an int64 product
    ([True], "non-negative"),
])
def test_array_shapes_are_checked_against_the_buffer(shape, why):
    with pytest.raises(protocol.DecodeError, match=why):
        decode(frame({"$a": ["<f8", shape, 0]}, [b"\0" * 8]))


@pytest.mark.parametrize("dtype", ["|O", "V8", "(1000000000,)<f8", "<U0", "not a dtype"])
def test_refused_dtypes(dtype):
    with pytest.raises(protocol.DecodeError):
        decode(frame({"$a": [dtype, [1], 0]}, [b"\0" * 8]))


def test_every_buffer_starts_at_a_multiple_of_align_and_arrays_decode_aligned():
    """Whatever the header's length, so no worker gets a misaligned (slower) copy of an input."""
    for name in ["a", "ab", "abc", "a" * 61]:
        chunks = protocol.pack({"n": name, "x": np.arange(3, dtype=np.int8), "z": np.ones((4, 3))})
        payload = bytearray(sum(memoryview(c).cast("B").nbytes for c in chunks[1:]))
        view, pos = memoryview(payload), 0
        for chunk in chunks[1:]:
            data = memoryview(chunk).cast("B")
            view[pos:pos + data.nbytes] = data
            pos += data.nbytes
        _, buffers = protocol.split(payload)
        assert [len(b) for b in buffers] == [3, 96]
        base = np.frombuffer(payload, dtype=np.uint8).ctypes.data
        offsets = [np.frombuffer(b, dtype=np.uint8).ctypes.data - base for b in buffers]
        assert all(offset % protocol.ALIGN == 0 for offset in offsets), offsets
        got = protocol.unpack(payload)
        assert got["z"].flags.aligned and np.array_equal(got["z"], np.ones((4, 3))) and got["n"] == name


def test_the_buffer_table_must_add_up_to_the_frame():
    with pytest.raises(protocol.DecodeError, match="does not match its contents"):
        decode(frame({"$b": 0}, [b"abc"], table=[1 << 40]))
    with pytest.raises(protocol.DecodeError, match="malformed buffer table"):
        decode(frame(None, [], table=[-3]))


def test_json_headers_are_capped_and_deep_nesting_refused():
    with pytest.raises(protocol.DecodeError, match="at most 100"):
        decode(frame(["x" * 200]), max_header=100)
    deep = bytearray(b"[" * 100_000 + b"]" * 100_000)
    import struct
    payload = bytearray(struct.pack("<II", len(deep), 2)) + deep + b"[]"
    with pytest.raises(protocol.DecodeError):
        decode(payload)


@pytest.mark.parametrize("node", [{"$f": "1e999"}, {"$c": [1]}, {"$d": [[[1, [2]], 2]]}, {"$d": "x"}, {"$t": 5},
                                  {"$x": 1}, {"a": 1, "b": 2}])
def test_malformed_nodes_are_refused(node):
    with pytest.raises(protocol.DecodeError):
        decode(frame(node))


def test_a_frame_larger_than_the_pipe_arrives_whole_through_partial_writes():
    """write_some takes what one writev wrote off the chunks, however it cut them."""
    import fcntl
    import os
    chunks = protocol.pack({"a": np.arange(40_000, dtype=np.float64), "b": b"x" * 3, "c": "text"})
    expected = b"".join(bytes(memoryview(c).cast("B")) for c in chunks)
    read_fd, write_fd = os.pipe()
    try:
        fcntl.fcntl(write_fd, 1031, 4096)        # F_SETPIPE_SZ: one page, so every writev is partial
        os.set_blocking(write_fd, False)
        views, got, writes = protocol.frame_views(chunks), bytearray(), 0
        while views:
            try:
                views = protocol.write_some(write_fd, views)
                writes += 1
            except BlockingIOError:
                pass
            got += os.read(read_fd, 1 << 20)
        got += os.read(read_fd, 1 << 20) if len(got) < len(expected) else b""
    finally:
        os.close(read_fd)
        os.close(write_fd)
    assert bytes(got) == expected and writes > len(chunks)


@pytest.mark.parametrize("items", [
    ["a", "b", ""], [1, 2, 10**30], [1.5, -0.0, 2], [], ["x", 1, 2.5],
    [True, 1], [np.float64(1.5), 2.0], [float("nan"), 1.0], [float("inf")], [1, None], [["a"], ["b", "c"]],
])
def test_lists_of_plain_items_roundtrip_with_their_types(items):
    """Lists JSON carries as they are take a shortcut; the rest (bool, numpy scalars, non-finite) still don't."""
    got = roundtrip(items)
    assert [type(v) for v in got] == [type(v) for v in items]
    assert repr(got) == repr(items)


def test_a_forged_list_is_decoded_item_by_item_when_it_holds_nodes():
    header = [1, "a", {"$f": "nan"}, {"$x": 1}]
    with pytest.raises(protocol.DecodeError, match="unknown tag"):
        protocol.Decoder([]).decode(header)


@pytest.mark.parametrize("rows", [10, 40_000])      # one frame within the pipe's buffer, one larger
def test_a_frame_read_from_a_pipe_decodes_into_writable_arrays_equal_to_those_sent(rows):
    import os
    import threading
    sent = np.random.default_rng(3).normal(size=(rows, 8))
    chunks = protocol.pack({"a": sent, "s": "text"})
    read_fd, write_fd = os.pipe()
    writer = threading.Thread(target=lambda: (protocol.write_frame(write_fd, chunks), os.close(write_fd)))
    writer.start()
    try:
        payload = protocol.read_frame(read_fd)
        at_end = protocol.read_frame(read_fd)
    finally:
        writer.join()
        os.close(read_fd)
    got = protocol.unpack(payload)
    assert got["s"] == "text" and at_end is None
    assert got["a"].flags.writeable and np.array_equal(got["a"], sent)


def test_a_large_frame_cut_short_reads_as_the_end_of_the_stream():
    """A frame that ends early is never decoded."""
    import os
    chunks = protocol.pack({"a": np.ones(1 << 18)})             # 2 MiB
    whole = b"".join(bytes(memoryview(c).cast("B")) for c in chunks)
    read_fd, write_fd = os.pipe()
    try:
        os.write(write_fd, whole[:4096])
        os.close(write_fd)
        assert protocol.read_frame(read_fd) is None
    finally:
        os.close(read_fd)


SEALED_PROBE = '''
import ctypes, errno, mmap
import numpy as np

def writeable(X):
    return bool(X.flags.writeable)

def write(X):
    X[0, 0] = 1.0
    return float(X.sum())

def make_writable(X):
    X.flags.writeable = True

def mprotect(X):
    libc = ctypes.CDLL(None, use_errno=True)
    start = X.ctypes.data & ~(mmap.PAGESIZE - 1)
    if libc.mprotect(ctypes.c_void_p(start), ctypes.c_size_t(X.ctypes.data + X.nbytes - start),
                     mmap.PROT_READ | mmap.PROT_WRITE) == 0:
        return "allowed"
    return errno.errorcode[ctypes.get_errno()]
'''


@pytest.mark.skipif(not SEALED_INPUTS, reason="sealed inputs need Linux memfds")
def test_sealed_inputs_are_read_only_in_the_worker_and_plain_ones_are_not(tmp_path):
    """A sealed call's arrays cannot be written, made writable, or mprotect-ed writable; a plain call's can."""
    path = tmp_path / "probe.py"
    path.write_text(SEALED_PROBE)
    X = np.random.default_rng(0).normal(size=(300, 40))
    with Worker(path, Limits(), hostile=True) as worker:
        assert worker.call_raw("writeable", (X,))["ok"] is True
        assert worker.call_raw("write", (X,))["ok"] == pytest.approx(X.sum() - X[0, 0] + 1.0)
        assert worker.call_raw("writeable", (X,), sealed=True)["ok"] is False
        with pytest.raises(ValueError, match="assignment destination is read-only"):
            worker.call_raw("write", (X,), sealed=True)
        with pytest.raises(ValueError, match="cannot set WRITEABLE flag"):
            worker.call_raw("make_writable", (X,), sealed=True)
        assert worker.call_raw("mprotect", (X,), sealed=True)["ok"] == "EACCES"
        # A stored input (a measured call's) is sealed too.
        worker.store("x", (X,))
        assert worker.call_raw("writeable", StoredRef("x"))["ok"] is False
