#!/usr/bin/env python3
"""Writes the seed corpus of fuzz/diff_api (one file per operation family).

    python3 fuzz/make_diff_corpus.py fuzz/diff_api_corpus

The byte code is documented in fuzz/README.md ("diff_api"); the opcode
numbers below follow enum Opc in fuzz/diff_api.cpp.
"""
import os
import sys

(BEGIN_WRITE, BEGIN_CHILD, BEGIN_READ, COMMIT, ABORT, RESET, RENEW, TXN_ID, DBI_OPEN, DBI_CLOSE, DBI_FLAGS,
 STAT, DROP, GET, PUT, DEL, CUR_OPEN, CUR_CLOSE, CUR_RENEW, CUR_GET, CUR_PUT, CUR_DEL, CUR_COUNT, CUR_INFO,
 CMP, ENV_STAT, ENV_FLAGS, ENV_COPY, REOPEN, MAPSIZE, READERS, MISC, PREENV, BULK_PUT, BULK_DEL, CUR_WALK,
 CUR_GET2, PUT2) = range(38)

# txn targets
W, R0, R1 = 0, 1, 2
# db flag bits of DBI_OPEN's flag byte
REVKEY, DUPSORT, INTKEY, DUPFIXED, INTDUP, REVDUP, NOCREATE = 1, 2, 4, 8, 16, 32, 64
# cursor ops
(FIRST, FIRST_DUP, GET_BOTH, GET_BOTH_RANGE, GET_CURRENT, GET_MULTIPLE, LAST, LAST_DUP, NEXT, NEXT_DUP,
 NEXT_MULTIPLE, NEXT_NODUP, PREV, PREV_DUP, PREV_NODUP, SET, SET_KEY, SET_RANGE, PREV_MULTIPLE) = range(19)
# key size indexes: 0,1,2,3,7,8,9,15,16,17,24,100,255,510,511,512
K0, K1, K2, K3, K7, K8, K9, K15, K16, K17, K24, K100, K255, K510, K511, K512 = range(16)
# value size indexes (T = overflow threshold for the key: T-1, T, T+1 are 18, 19, 20)
V0, V1, V2, V3, V7, V8, V9, V15, V16, V17, V31, V64, V100, V250, V509, V510, V511, V512 = range(18)
VTM1, VT, VTP1, V1000, V2040, V4080, V4095, V4096, V4097, V8192, V12289, V20000, V65536, V40 = range(18, 32)
# put flag bits (mdb_put flag byte): NOOVERWRITE, NODUPDATA, RESERVE, APPEND, APPENDDUP, CURRENT
P_NOOVR, P_NODUP, P_RESERVE, P_APPEND, P_APPENDDUP, P_CURRENT = 1, 2, 4, 8, 16, 32
# cursor put flag bits add MULTIPLE (64) and "current data" (128)
C_MULTIPLE, C_SAMEDATA = 64, 128


def hdr(flags=0, h1=0, dupfix=0, keyint=0, dupint=0):
    return [flags, h1, dupfix, keyint, dupint]


def put(db, ks, kseed, vs, vseed, fl=0, t=W):
    return [PUT, t, db, ks, kseed, vs, vseed, fl]


def cget(slot, op, ks=0, kseed=0, vs=0, vseed=0):
    return [CUR_GET, slot, op, ks, kseed, vs, vseed]


def walk(slot, op_index, n):  # op_index: NEXT, PREV, NEXT_DUP, PREV_DUP, NEXT_NODUP, PREV_NODUP, NEXT_MULT, PREV_MULT
    return [CUR_WALK, slot, op_index, n]


def bulk(db, n, ks, kseed, vs, vseed, mode=0):  # mode: 1 dups, 2 append, 4 nooverwrite, 8 nodupdata
    return [BULK_PUT, db, n - 1, ks, kseed, vs, vseed, mode]


def cat(parts):
    return [b for part in parts for b in part]


SEEDS = {}

SEEDS["plain_tree"] = hdr() + [BEGIN_WRITE, 0, DBI_OPEN, W, 1, 0] + bulk(1, 200, K16, 3, V100, 1) + \
    [CUR_OPEN, 0, W, 1] + cget(0, FIRST) + walk(0, 0, 40) + cget(0, SET_RANGE, K16, 9) + walk(0, 1, 10) + \
    [GET, W, 1, K16, 3, CUR_DEL, 0, 0] + cget(0, GET_CURRENT) + cget(0, NEXT) + cget(0, PREV) + \
    [BULK_DEL, 1, 150, K16, 3, 0, STAT, W, 1, COMMIT, W, BEGIN_READ, 0, CUR_OPEN, 1, R0, 1] + cget(1, LAST) + \
    walk(1, 1, 30)

SEEDS["key_sizes"] = hdr() + [BEGIN_WRITE, 0] + cat(
    (put(0, k, 5, V8, k) for k in (K0, K1, K2, K3, K7, K8, K9, K15, K16, K17, K510, K511, K512))) + \
    [CUR_OPEN, 0, W, 0] + cget(0, SET_RANGE, K3, 5) + cget(0, SET, K511, 5) + cget(0, SET_KEY, K510, 5) + \
    walk(0, 0, 20) + [COMMIT, W]

SEEDS["overflow"] = hdr() + [BEGIN_WRITE, 0] + cat(
    (put(0, K8, i, v, i) for i, v in enumerate((VTM1, VT, VTP1, V4095, V4096, V4097, V8192, V12289, V65536)))) + \
    [STAT, W, 0, GET, W, 0, K8, 1, GET, W, 0, K8, 2, DEL, W, 0, K8, 2, 0, 0, 0] + put(0, K8, 0, V20000, 9) + \
    put(0, K8, 1, V3, 9) + [STAT, W, 0, COMMIT, W, ENV_STAT, 1]

SEEDS["dupsort"] = hdr() + [BEGIN_WRITE, 0, DBI_OPEN, W, 2, DUPSORT] + bulk(2, 250, K8, 1, V16, 2, 1) + \
    bulk(2, 20, K8, 2, V100, 2, 1) + bulk(2, 5, K9, 9, V509, 2, 1) + \
    [CUR_OPEN, 0, W, 2] + cget(0, SET, K8, 1) + [CUR_COUNT, 0] + cget(0, LAST_DUP) + walk(0, 3, 10) + \
    cget(0, NEXT_NODUP) + cget(0, PREV_NODUP) + cget(0, GET_BOTH, K8, 1, V16, 2) + \
    cget(0, GET_BOTH_RANGE, K8, 2, V16, 0) + cget(0, FIRST_DUP) + walk(0, 2, 5) + [CUR_DEL, 0, 0, CUR_COUNT, 0] + \
    [CUR_DEL, 0, 1] + cget(0, GET_CURRENT) + cget(0, NEXT) + [CUR_OPEN, 1, W, 2] + cget(1, LAST) + \
    [CUR_DEL, 1, 0] + cget(0, FIRST) + walk(0, 0, 30) + [DEL, W, 2, K8, 1, V16, 2, 1, COMMIT, W]

SEEDS["dupfixed_multiple"] = hdr(dupfix=3) + [BEGIN_WRITE, 0, DBI_OPEN, W, 1, DUPSORT | DUPFIXED] + \
    [CUR_OPEN, 0, W, 1, CUR_PUT, 0, C_MULTIPLE, K8, 4, V8, 1, 6] + [CUR_PUT, 0, C_MULTIPLE, K8, 5, V8, 2, 7] + \
    cget(0, FIRST) + cget(0, GET_MULTIPLE) + cget(0, NEXT_MULTIPLE) + cget(0, NEXT_MULTIPLE) + \
    cget(0, PREV_MULTIPLE) + [CUR_COUNT, 0] + bulk(1, 100, K7, 2, V8, 1, 1) + walk(0, 6, 10) + \
    walk(0, 7, 10) + [STAT, W, 1, COMMIT, W]

SEEDS["dupfixed_sizes"] = hdr(dupfix=0) + [BEGIN_WRITE, 0] + cat(
    ([DBI_OPEN, W, d, DUPSORT | DUPFIXED] + bulk(d, 60, K8, d, V8, d, 1) + [CMP, W, d, 1, 0, 1, 0, 2])
    for d in (1, 2, 3, 4, 5)) + [COMMIT, W, BEGIN_READ, 0, CUR_OPEN, 0, R0, 2] + cget(0, FIRST) + \
    cget(0, GET_MULTIPLE) + walk(0, 6, 5)

SEEDS["integer"] = hdr(keyint=0b000110, dupint=0b000100) + [BEGIN_WRITE, 0] + \
    [DBI_OPEN, W, 1, INTKEY, DBI_OPEN, W, 2, INTKEY | DUPSORT | INTDUP, DBI_OPEN, W, 3, DUPSORT | INTDUP | DUPFIXED] + \
    bulk(1, 120, 0, 7, V16, 1) + bulk(2, 80, 0, 3, 0, 5, 1) + bulk(3, 40, K8, 3, 0, 6, 1) + \
    [CUR_OPEN, 0, W, 2] + cget(0, SET_RANGE, 0, 3) + walk(0, 2, 10) + cget(0, GET_BOTH_RANGE, 0, 3, 0, 5) + \
    [CMP, W, 1, 0, 0, 3, 0, 9, CMP, W, 2, 1, 0, 3, 0, 9, COMMIT, W]

SEEDS["flags_all"] = hdr() + [BEGIN_WRITE, 0] + cat(
    ([DBI_OPEN, W, d, f] + [PUT2, W, d, K8, d, V8, 1, PUT2, W, d, K9, d, V9, 2, DBI_FLAGS, W, d])
    for d, f in ((1, REVKEY), (2, DUPSORT | REVDUP), (3, REVKEY | DUPSORT | REVDUP), (4, 127), (5, 0x80))) + \
    [COMMIT, W, BEGIN_WRITE, 0, DBI_OPEN, W, 1, DUPSORT | NOCREATE, DBI_OPEN, W, 2, 0, COMMIT, W]

SEEDS["custom_cmp"] = hdr(h1=0x08 | 0x10 | 0x20 | 0x40) + [BEGIN_WRITE, 0] + \
    [DBI_OPEN, W, 4, 0, DBI_OPEN, W, 5, DUPSORT, DBI_OPEN, W, 3, DUPSORT, DBI_OPEN, W, 2, DUPSORT] + \
    bulk(4, 50, K7, 1, V8, 1) + bulk(4, 50, K9, 2, V8, 1) + bulk(5, 60, K8, 1, V9, 3, 1) + \
    bulk(3, 40, K16, 1, V3, 3, 1) + bulk(2, 40, K3, 1, V17, 3, 1) + \
    [CUR_OPEN, 0, W, 4] + cget(0, SET_RANGE, K8, 1) + walk(0, 0, 20) + [CUR_OPEN, 1, W, 5] + cget(1, LAST) + \
    walk(1, 3, 20) + [CMP, W, 4, 0, K7, 1, K9, 1, CMP, W, 5, 1, V8, 1, V9, 2, COMMIT, W, REOPEN, BEGIN_READ, 0,
                      DBI_OPEN, R0, 4, 0, STAT, R0, 4]

SEEDS["nested"] = hdr() + [BEGIN_WRITE, 0, DBI_OPEN, W, 1, DUPSORT] + bulk(1, 40, K8, 1, V8, 1) + \
    [CUR_OPEN, 0, W, 1] + cget(0, SET, K8, 1) + [BEGIN_CHILD, 0] + put(1, K8, 1, V9, 4) + \
    [CUR_OPEN, 1, W, 1] + cget(1, FIRST) + [CUR_DEL, 1, 0, BEGIN_CHILD, 0] + bulk(1, 30, K8, 2, V100, 1) + \
    [ABORT, W, COMMIT, W] + cget(0, NEXT) + cget(0, PREV) + [BEGIN_CHILD, 0] + [BULK_DEL, 1, 20, K8, 1, 0] + \
    [COMMIT, W] + cget(0, GET_CURRENT) + walk(0, 0, 30) + [BEGIN_CHILD, 0, BEGIN_CHILD, 0, BEGIN_CHILD, 0] + \
    put(1, K8, 200, V4097, 1) + [COMMIT, W, ABORT, W, COMMIT, W, STAT, W, 1, COMMIT, W]

SEEDS["read_txns"] = hdr(flags=8) + [BEGIN_WRITE, 0] + bulk(0, 50, K8, 1, V31, 1) + [COMMIT, W] + \
    [BEGIN_READ, 0, BEGIN_READ, 1, CUR_OPEN, 0, R0, 0, CUR_OPEN, 1, R1, 0] + cget(0, FIRST) + \
    [BEGIN_WRITE, 0] + put(0, K8, 7, V8, 7) + [COMMIT, W, TXN_ID, R0, RESET, R0, RENEW, R0] + \
    [CUR_RENEW, 0, R0] + cget(0, SET, K8, 7) + [TXN_ID, R0, ABORT, R1, CUR_RENEW, 1, R0] + cget(1, LAST) + \
    [READERS, 0, READERS, 1, ENV_STAT, 1, CUR_INFO, 0, COMMIT, R0, CUR_CLOSE, 0, CUR_CLOSE, 1] + \
    put(0, K8, 1, V8, 1, 0, R0)

SEEDS["env_calls"] = hdr() + [ENV_STAT, 0, ENV_STAT, 1, ENV_FLAGS, 0, 0, ENV_FLAGS, 1, 0x09, ENV_FLAGS, 1, 0x04,
                              ENV_FLAGS, 2, 1, BEGIN_WRITE, 0] + bulk(0, 100, K16, 1, V1000, 1) + \
    [COMMIT, W, ENV_COPY, 0, ENV_COPY, 1, ENV_COPY, 4, ENV_COPY, 5, MAPSIZE, 6, ENV_STAT, 1, MISC, 0, 3, 0, 0,
     MISC, 1, 0, 0, 0, MISC, 2, 0, 0, 0, MISC, 3, 0, 0, 0, MISC, 4, 0, 0, 0, MISC, 5, 0, 0, 0,
     BEGIN_WRITE, 0, MISC, 6, 0, 0, 0, ABORT, W] + cat(([PREENV, i, 3]) for i in range(8))

SEEDS["map_full"] = hdr(flags=0x40) + [BEGIN_WRITE, 0] + bulk(0, 100, K8, 1, V4096, 1) + [COMMIT, W] + \
    [BEGIN_WRITE, 0] + bulk(0, 200, K16, 2, V100, 1) + [COMMIT, W, ENV_STAT, 1]

SEEDS["map_full_small"] = hdr(flags=0x80) + [BEGIN_WRITE, 0] + bulk(0, 250, K100, 1, V1000, 1) + \
    [COMMIT, W, MAPSIZE, 0, BEGIN_WRITE, 0] + bulk(0, 250, K100, 2, V1000, 1) + [COMMIT, W]

SEEDS["drop_reopen"] = hdr() + [BEGIN_WRITE, 0, DBI_OPEN, W, 1, DUPSORT, DBI_OPEN, W, 2, 0] + \
    bulk(1, 30, K8, 1, V8, 1, 1) + bulk(2, 30, K8, 1, V8, 1) + [DROP, W, 1, 0, STAT, W, 1, DROP, W, 2, 1] + \
    [COMMIT, W, DBI_CLOSE, 1, BEGIN_WRITE, 0, DBI_OPEN, W, 2, INTKEY, DBI_OPEN, W, 1, 0] + \
    bulk(1, 5, K8, 2, V8, 2) + [COMMIT, W, REOPEN, BEGIN_WRITE, 0, DBI_OPEN, W, 1, 0, STAT, W, 1] + \
    [GET, W, 0, 0, 0xFF, PUT, W, 0, 0, 0xFF, V8, 1, 0, PUT2, W, 0, K8, 1, V8, 1, COMMIT, W]

SEEDS["append"] = hdr() + [BEGIN_WRITE, 0, DBI_OPEN, W, 1, DUPSORT] + bulk(0, 200, K8, 1, V64, 1, 2) + \
    put(0, K8, 0, V8, 1, P_APPEND) + bulk(1, 100, K8, 1, V16, 1, 3) + put(1, K8, 1, V16, 0, P_APPENDDUP) + \
    [CUR_OPEN, 0, W, 1, CUR_PUT, 0, P_APPEND, K8, 0, V8, 1, 0] + [CUR_PUT, 0, P_APPENDDUP, K8, 1, V16, 0, 0] + \
    [COMMIT, W]

SEEDS["noovr_reserve"] = hdr() + [BEGIN_WRITE, 0, DBI_OPEN, W, 1, DUPSORT] + put(0, K8, 1, V100, 1) + \
    put(0, K8, 1, V100, 2, P_NOOVR) + put(0, K8, 2, V4097, 1, P_RESERVE) + put(0, K8, 2, V8, 1, P_NOOVR) + \
    put(1, K8, 1, V9, 1) + put(1, K8, 1, V9, 1, P_NODUP) + put(1, K8, 1, V9, 2, P_NOOVR) + \
    [CUR_OPEN, 0, W, 0, CUR_PUT, 0, P_RESERVE, K8, 3, V1000, 1, 0] + cget(0, GET_CURRENT) + \
    [CUR_PUT, 0, P_CURRENT, 0, 0, V100, 7, 0, CUR_PUT, 0, P_CURRENT | C_SAMEDATA, 0, 0, 0, 0, 0] + \
    [CUR_PUT, 0, P_NOOVR, K8, 1, V8, 8, 0, COMMIT, W]

SEEDS["cursor_states"] = hdr() + [BEGIN_WRITE, 0] + bulk(0, 120, K24, 1, V100, 1) + \
    [CUR_OPEN, 0, W, 0, CUR_OPEN, 1, W, 0, CUR_OPEN, 2, W, 0] + cget(0, FIRST) + cget(1, LAST) + \
    cget(2, SET, K8, 1) + cget(2, NEXT) + [CUR_DEL, 0, 0] + cget(0, GET_CURRENT) + cget(0, NEXT) + \
    cget(0, PREV) + [CUR_DEL, 1, 0] + cget(1, GET_CURRENT) + cget(1, PREV) + cget(1, NEXT) + \
    [BULK_DEL, 0, 60, K24, 1, 1] + cget(0, NEXT) + cget(1, PREV) + cget(2, GET_CURRENT) + cget(3, NEXT) + \
    [CUR_OPEN, 3, W, 0] + cget(3, PREV) + cget(3, GET_CURRENT) + cget(3, NEXT_DUP) + [CUR_COUNT, 0] + \
    [BEGIN_CHILD, 0] + bulk(0, 40, K24, 9, V100, 1) + [ABORT, W] + cget(0, NEXT) + [COMMIT, W]

SEEDS["writemap_nested"] = hdr(flags=0x1 | 0x2 | 0x4 | 0x10) + [BEGIN_WRITE, 0, BEGIN_CHILD, 0] + \
    bulk(0, 60, K8, 1, V2040, 1) + [COMMIT, W, ENV_STAT, 1]

SEEDS["readers_full"] = hdr(flags=8, h1=4) + [BEGIN_READ, 0, BEGIN_READ, 1, ENV_COPY, 0, ABORT, R0, ENV_COPY, 1,
                                               READERS, 0, READERS, 1, ABORT, R1]

SEEDS["dbs_full"] = hdr(h1=2) + [BEGIN_WRITE, 0] + cat(([DBI_OPEN, W, d, 0]) for d in (1, 2, 3, 4, 5)) + \
    [COMMIT, W]

SEEDS["dup_boundaries"] = hdr() + [BEGIN_WRITE, 0, DBI_OPEN, W, 1, DUPSORT] + cat(
    (put(1, K8, 1, v, 3) for v in (V1, V2, V3, V7, V8, V9, V15, V16, V17, V509, V510, V511, V512))) + \
    [CUR_OPEN, 0, W, 1] + cget(0, SET, K8, 1) + walk(0, 2, 20) + [CUR_COUNT, 0] + \
    bulk(1, 60, K8, 1, V509, 5, 1) + [STAT, W, 1, COMMIT, W]


SEEDS["env_copy_variants"] = hdr() + [BEGIN_WRITE, 0] + bulk(0, 49, K8, 1, V100, 1) + \
    [COMMIT, W, ENV_COPY, 8, ENV_COPY, 12, ENV_COPY, 9, ENV_COPY, 13]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "fuzz/diff_api_corpus"
    os.makedirs(out, exist_ok=True)
    for name, body in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes(b & 0xFF for b in body))
    print(f"{len(SEEDS)} seeds in {out}")


if __name__ == "__main__":
    main()
