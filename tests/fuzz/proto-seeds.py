#!/usr/bin/env python3
"""Write tests/fuzz/fuzz-proto.in: CPG wire format version 2 seeds (core/proto.h).

Written by hand from the layout comment, not with cv_proto_encode, so the seeds
do not just mirror the encoder. Usage: tests/fuzz/proto-seeds.py tests/fuzz/fuzz-proto.in
"""
import os
import struct
import sys

MAGIC = 0x43564950
VERSION = 2
STATE, HEARTBEAT, RELEASED, MOVE, STANDBY, SILENT, HEALTH = 1, 2, 3, 4, 5, 6, 7
HEALTHY, HELD, BLOCKED, VMOVE = 1, 2, 4, 8
ST_STANDBY, ST_RESEND, ST_SEASONED, ST_PREEMPT_HOLD = 1, 2, 4, 8


def u8(v): return struct.pack(">B", v)
def u16(v): return struct.pack(">H", v)
def u32(v): return struct.pack(">I", v)
def u64(v): return struct.pack(">Q", v)
def name(s): return u8(len(s)) + s.encode()
def ring(nodeid, seq): return u32(nodeid) + u64(seq)


def msg(type_, body, version=VERSION, length=None, magic=MAGIC):
    total = 16 + len(body) if length is None else length
    return u32(magic) + u16(version) + u16(type_) + u32(total) + u32(0) + body


def standby_table(entries):
    return u8(len(entries)) + b"".join(u32(n) + u8(v) + u64(s) for n, v, s in entries)


def state_vip(nm, flags, digest, epoch, move=None, owner=0, keys=(0x5eed0001,)):
    b = (name(nm) + u8(flags) + u32(digest) + u64(epoch) + u32(owner) + u8(len(keys)) +
         b"".join(u32(k) for k in keys))
    if move is not None:
        b += u32(move[0]) + u64(move[1])
    return b


def state(vips, n_vips=None, max_version=VERSION, role=0, flags=0, nodeid=2, pid=4242,
          rng=(1, 9), digest=0x1122334455667788, chunk=(0, 1), standby=(), raw_table=None):
    table = standby_table(standby) if raw_table is None else raw_table
    return (u16(max_version) + u8(role) + u8(flags) + u32(nodeid) + u32(pid) + ring(*rng) +
            u64(digest) + u32(785) + u16(chunk[0]) + u16(chunk[1]) + table +
            u16(len(vips) if n_vips is None else n_vips) + b"".join(vips))


def heartbeat_body():
    return ring(1, 8) + u64(1000) + u64(1) + u64(5) + u32(2) + u32(785)


def move_body(nm="web", stamp=0x100000003):
    return u32(9) + u32(1) + u32(2) + u64(stamp) + name(nm)


def standby_body(value=1, stamp=0x100000004):
    return u32(10) + u32(1) + u32(2) + u64(stamp) + u8(value)


def silent_body(nodeid=3):
    return u32(nodeid) + ring(1, 8)


def health_body(vips):
    return ring(1, 8) + u16(len(vips)) + b"".join(name(n) + u8(f) for n, f in vips)


def released_body(vips):
    return u32(2) + ring(1, 8) + u16(len(vips)) + b"".join(name(n) + u64(e) for n, e in vips)


PLAIN_VIPS = [state_vip("web", HEALTHY | HELD, 0x12345678, 7),
              state_vip("db", HEALTHY, 0x9abcdef0, 2)]
SAMPLE_VIPS = [state_vip("web", HEALTHY | HELD, 0, 7),
               state_vip("db-primary.v6_1", HEALTHY, 0xffffffff, 0xffffffffffffffff),
               state_vip("x", 0, 0, 0)]
TABLE = [(1, 1, 0x100000001), (2, 0, 0x100000007), (3, 1, 0xffffffffffffffff)]
EMPTY = dict(nodeid=1, rng=(1, 8), digest=0x0123456789abcdef)


def corpus():
    c = {}
    # valid messages, one or more per type
    c["heartbeat"] = msg(HEARTBEAT, heartbeat_body())
    c["move"] = msg(MOVE, move_body())
    c["move-with-stamp"] = msg(MOVE, move_body("db-primary.v6_1", 0xfffffffffffffffe))
    c["standby"] = msg(STANDBY, standby_body())
    c["silent"] = msg(SILENT, silent_body())
    c["released"] = msg(RELEASED, released_body([("web", 7), ("db", 9)]))
    c["released-empty"] = msg(RELEASED, released_body([]))
    c["health"] = msg(HEALTH, health_body([("web", HEALTHY), ("db", 0)]))
    c["state-group-keys"] = msg(STATE, state(
        [state_vip("gw", HEALTHY | HELD, 0x12345678, 7, keys=(1, 2, 3)),
         state_vip("any", HELD, 0, 3, keys=())]))
    c["state"] = msg(STATE, state(PLAIN_VIPS))
    c["state-empty"] = msg(STATE, state([], **EMPTY))
    c["state-with-standby-table"] = msg(STATE, state(PLAIN_VIPS, flags=ST_SEASONED,
                                                     standby=TABLE))
    c["state-full-standby-table"] = msg(STATE, state(
        [], **EMPTY, standby=[(i + 1, i % 2, i << 32 | i) for i in range(64)]))
    c["state-with-move"] = msg(STATE, state(
        [state_vip("web", HELD | BLOCKED | VMOVE, 0x12345678, 7, (3, 0x100000003)),
         state_vip("db", HEALTHY | VMOVE, 0x9abcdef0, 2, (0, 5)),  # a move done
         state_vip("x", BLOCKED, 0, 1)],
        flags=ST_SEASONED | ST_STANDBY, standby=TABLE[:1]))

    # one failure each; comments say which check refuses it
    c["bad-short-header"] = msg(HEARTBEAT, b"")[:10]
    c["bad-magic"] = msg(HEARTBEAT, heartbeat_body(), magic=MAGIC + 1)
    c["bad-version-1"] = msg(HEARTBEAT, heartbeat_body(), version=1)
    # version 1's STATE had no standby table: refused by the header, not misparsed
    c["bad-version-1-state"] = msg(STATE, state([], **EMPTY, max_version=1, raw_table=b""),
                                   version=1)
    c["bad-version-3"] = msg(HEARTBEAT, heartbeat_body(), version=3)
    c["bad-length-field"] = msg(MOVE, move_body(), length=16 + len(move_body()) + 1)
    c["bad-unknown-type"] = msg(8, heartbeat_body())
    c["bad-health-flags"] = msg(HEALTH, health_body([("web", HEALTHY | HELD)]))
    c["bad-n-keys"] = msg(STATE, state([state_vip("web", HELD, 1, 7, keys=range(17))]))
    c["bad-silent-nodeid-0"] = msg(SILENT, silent_body(0))
    c["bad-name-char"] = msg(MOVE, move_body("we/"))
    c["bad-standby-value"] = msg(STANDBY, standby_body(value=2))
    c["bad-trailing-byte"] = msg(STANDBY, standby_body() + u8(0))
    c["bad-chunk-index"] = msg(STATE, state([], **EMPTY, chunk=(1, 1)))
    c["bad-max-version-1"] = msg(STATE, state([], **EMPTY, max_version=1))
    c["bad-state-flags"] = msg(STATE, state(PLAIN_VIPS, flags=0x10))
    c["bad-vip-flags"] = msg(STATE, state([state_vip("web", 0x20 | HELD, 0, 7)]))
    overclaim = state(SAMPLE_VIPS, n_vips=200, role=1, flags=ST_STANDBY, nodeid=1,
                      rng=(1, 8), digest=0x0123456789abcdef, chunk=(1, 2), standby=TABLE)
    c["bad-n-vips-overclaim"] = msg(STATE, overclaim)
    full = state(SAMPLE_VIPS, role=1, flags=ST_STANDBY, nodeid=1, rng=(1, 8),
                 digest=0x0123456789abcdef, chunk=(1, 2), standby=TABLE)
    c["bad-truncated-state"] = msg(STATE, full)[:-5]  # the length field still says all
    # all 65 entries present: refused for the count, not as a truncation
    c["bad-standby-table-count"] = msg(STATE, state(
        [], **EMPTY, standby=[(i + 1, 1, i) for i in range(65)]))
    c["bad-standby-table-nodeid-0"] = msg(STATE, state(PLAIN_VIPS,
                                                       standby=[(1, 1, 5), (0, 0, 6)]))
    c["bad-standby-table-value"] = msg(STATE, state(PLAIN_VIPS, standby=[(1, 2, 5)]))
    # move fields after an entry without CV_PROTO_VIP_MOVE: read as the next
    # entry's name length (0) and refused
    c["bad-move-flag-fields"] = msg(STATE, state(
        [state_vip("web", HELD, 0x12345678, 7, (0, 5)), state_vip("db", HEALTHY, 1, 2)]))
    # CV_PROTO_VIP_MOVE as the last entry's flag, without the 12 bytes
    c["bad-move-flag-no-fields"] = msg(STATE, state(
        [state_vip("web", HELD, 0x12345678, 7), state_vip("db", HEALTHY | VMOVE, 1, 2)]))
    return c


def main():
    out = sys.argv[1]
    for fn, data in sorted(corpus().items()):
        with open(os.path.join(out, fn), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
