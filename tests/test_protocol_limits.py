"""Decoding a reply costs the trusted side time linear in its size (protocol.py's docstring).

A worker chooses every byte of its replies: keys made to share one hash value
(k * (2**61 - 1) hashes to 0 for every int k, in every process) would make
rebuilding a dict quadratic, and so would decimal integers of millions of
digits. Such replies are refused (DecodeError, "sent a malformed reply" for a
candidate); real data, however large, still decodes.
"""

import json
import struct
import sys
import time

import pytest

from trainer.sandbox import protocol
from trainer.sandbox.client import CandidateFailure, Worker
from trainer.sandbox.limits import Limits

P = (1 << 61) - 1       # hash(k * P) == 0 for every int k


def frame(header) -> bytearray:
    """The payload of a frame with a hand-written header and no buffers."""
    return frame_of(json.dumps(header, separators=(",", ":")).encode())


def frame_of(head: bytes) -> bytearray:
    return bytearray(struct.pack("<II", len(head), 2) + head + b"[]")


def roundtrip(value):
    chunks = protocol.pack({"v": value})
    payload = bytearray(b"".join(bytes(memoryview(c).cast("B")) for c in chunks)[8:])
    return protocol.unpack(payload)["v"]


def test_the_attack_keys_do_collide():
    """What the tests below rely on: these keys share one hash value in every process."""
    assert len({hash(P * k) for k in range(1, 100)}) == 1
    assert len({hash(2.0 ** (61 * k)) for k in range(17)}) == 1
    assert len({hash((P * k, "x")) for k in range(1, 100)}) == 1


# Nine keys (MAX_SAME_HASH + 1) of one hash value, among 100 ordinary ones, as a worker can send them.
COLLIDING = {
    "ints k * (2**61 - 1)": [P * k for k in range(1, 10)],
    "negative ints": [-P * k for k in range(1, 10)],
    "floats 2**(61 k)": [2.0 ** (61 * k) for k in range(9)],
    "tuples (k * (2**61 - 1),)": [{"$t": [P * k]} for k in range(1, 10)],
    "tuples of a str and a colliding int": [{"$t": ["w", P * k]} for k in range(1, 10)],
    "pairs sent as JSON lists": [[P * k, 0] for k in range(1, 10)],
    "complex numbers": [{"$c": [2.0 ** (61 * k), 0]} for k in range(9)],
}


@pytest.mark.parametrize("kind", COLLIDING)
def test_a_dict_with_more_than_max_same_hash_colliding_keys_is_refused(kind):
    keys = COLLIDING[kind]
    assert len(keys) == protocol.MAX_SAME_HASH + 1
    pairs = [[k, 0] for k in keys] + [[f"word{i}", i] for i in range(100)]
    with pytest.raises(protocol.DecodeError, match=f"of which {len(keys)} have the same hash value"):
        protocol.unpack(frame({"$d": [["v", {"$d": pairs}]]}))


def test_max_same_hash_colliding_keys_still_decode():
    """The limit itself is allowed, in a dict that is checked (more than MAX_SAME_HASH keys)."""
    pairs = [[P * k, k] for k in range(1, protocol.MAX_SAME_HASH + 1)] + [[f"word{i}", i] for i in range(100)]
    got = protocol.unpack(frame({"$d": [["v", {"$d": pairs}]]}))["v"]
    assert len(got) == protocol.MAX_SAME_HASH + 100 and got[P * 3] == 3


def test_the_keys_real_data_makes_collide_by_accident_still_decode():
    """-1 and -2 share a hash value; so do 2**61 - 1 and 0; 1.5 and a numpy 1.5 are one key."""
    value = {-1: "a", -2: "b", 0: "c", P: "d", **{i: i for i in range(1, 50)}}
    assert roundtrip(value) == value
    assert roundtrip({1.5: 1, **{f"k{i}": i for i in range(20)}})[1.5] == 1


def test_the_attack_reply_of_540_000_keys_is_refused_within_a_second():
    """hash_collision_full.py's reply: a 15 MiB header, 540 000 keys hashing to 0.

    It kept a lane busy for more than 300 s of CPU before the check (100 000
    keys: 109 s); refused now after about 0.2 s of CPU (0.6 s more to parse
    the JSON, as any header of that size).
    """
    payload = frame({"$d": [["id", 1], ["ok", {"$d": [[P * k, 0] for k in range(1, 540_001)]}]]})
    header, buffers = protocol.split(payload)
    started = time.process_time()
    with pytest.raises(protocol.DecodeError, match="dict of 540000 keys of which 540000 have the same hash"):
        protocol.Decoder(buffers).decode(header)
    assert time.process_time() - started < 1.0


@pytest.mark.parametrize("make", [
    lambda n: {f"word{i}": i for i in range(n)},                  # a vocabulary
    lambda n: dict.fromkeys(range(-n // 2, n // 2), 1.0),         # -1 and -2 among them
    lambda n: {(i, f"w{i % 977}"): i for i in range(n)},          # pairs of a bigram count
    lambda n: {i / 7: i for i in range(n)},
], ids=["str", "int", "tuple", "float"])
def test_a_large_legitimate_dict_still_decodes(make):
    value = make(100_000)
    started = time.process_time()
    got = roundtrip(value)
    assert time.process_time() - started < 10     # 0.2-0.6 s
    assert got == value and list(got) == list(value)


def test_the_pairs_of_all_the_dicts_of_a_message_are_capped():
    half = {"$d": [[i, 0] for i in range(protocol.MAX_PAIRS // 2)]}
    got = protocol.Decoder([]).decode({"$t": [half, half]})        # exactly MAX_PAIRS: allowed
    assert [len(d) for d in got] == [protocol.MAX_PAIRS // 2] * 2
    with pytest.raises(protocol.DecodeError, match=f"more than {protocol.MAX_PAIRS} key/value pairs"):
        protocol.Decoder([]).decode({"$t": [{"$d": [[0, 0]]}, half, half]})
    with pytest.raises(protocol.DecodeError, match="key/value pairs"):            # one dict alone too
        protocol.Decoder([]).decode({"$d": [[0, 0]] * (protocol.MAX_PAIRS + 1)})


@pytest.mark.parametrize("lifted", [False, True], ids=["default limit", "limit lifted"])
def test_integers_of_more_than_max_int_digits_are_refused(lifted):
    """Parsing decimal digits is quadratic: a 15 MiB integer would take hours. Refused even if the
    interpreter's own limit (sys.set_int_max_str_digits) was lifted."""
    if lifted and not hasattr(sys, "set_int_max_str_digits"):
        pytest.skip("this Python has no limit of its own")
    before = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else None
    try:
        if lifted:
            sys.set_int_max_str_digits(0)
        longest = int("9" * protocol.MAX_INT_DIGITS)
        assert protocol.unpack(frame({"$d": [["v", [-longest, 1]]]}))["v"] == [-longest, 1]
        for text in ["9" * (protocol.MAX_INT_DIGITS + 1), "-" + "9" * (protocol.MAX_INT_DIGITS + 1)]:
            payload = frame_of(b'{"$d":[["v",' + text.encode() + b']]}')
            started = time.process_time()
            with pytest.raises(protocol.DecodeError, match="unreadable message header"):
                protocol.unpack(payload)
            assert time.process_time() - started < 0.5
    finally:
        if before is not None:
            sys.set_int_max_str_digits(before)


@pytest.mark.parametrize("header", [
    {"$d": [[P * k, 0] for k in range(1, 100)]},
    {"$d": [[["op"], 0]]},
    {"$d": "op"},
])
def test_the_fields_of_a_message_are_named(header):
    with pytest.raises(protocol.DecodeError, match="named fields"):
        protocol.fields(header)


COLLIDING_REPLY = '''
P = (1 << 61) - 1


class Colliding(dict):
    def items(self):            # sent without ever building the dict in the worker
        return ((P * k, 0) for k in range(1, 100_001))


def counts(words):
    return Colliding()


def honest(words):
    return {w: words.count(w) for w in set(words)}
'''


def test_a_candidate_replying_with_colliding_keys_sent_a_malformed_reply(tmp_path):
    """hash_collision_reply.py (100 000 keys, 109 s of the lane's CPU before): now a quick failure."""
    path = tmp_path / "colliding.py"
    path.write_text(COLLIDING_REPLY)
    with Worker(path, Limits(), hostile=True) as worker:
        assert worker.call_raw("honest", (["a", "b", "a"],))["ok"] == {"a": 2, "b": 1}
        started = time.monotonic()
        with pytest.raises(CandidateFailure, match="sent a malformed reply .*100000 keys of which 100000 have the "
                                                   "same hash value") as failure:
            worker.call_raw("counts", (["a"],))
        assert failure.value.kind == "bad_reply"
        assert time.monotonic() - started < 10
