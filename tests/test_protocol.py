"""The data-only wire format: what crosses, what is refused."""

import numpy as np
import pytest

from trainer.sandbox import protocol


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
