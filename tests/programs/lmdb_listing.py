"""Prints the contents of LMDB environments in a canonical form, read
through python3-lmdb with whichever liblmdb.so.0 the process loads:

    python3 lmdb_listing.py ROOT

walks ROOT for environments (directories holding data.mdb, and *.mdb files
made by copyfd, opened with subdir=False) and prints, for each, every record
of the main database and of each named database (keys of the main database
that open as databases; their main-database value, a database record holding
page numbers, is not printed), in key order, in hex (values over 64 bytes as
their length and SHA-256).  An error is printed in place of the rest of that
environment's listing.
"""
import hashlib
import os
import sys

import lmdb


def show(v):
    if len(v) <= 64:
        return v.hex()
    return "<%d bytes sha256 %s>" % (len(v), hashlib.sha256(v).hexdigest())


def listing(path, subdir):
    out = []
    try:
        listing_into(out, path, subdir)
    except lmdb.Error as e:
        out.append("error: %s: %s" % (type(e).__name__, e))
    return out


def listing_into(out, path, subdir):
    env = lmdb.open(path, subdir=subdir, readonly=True, lock=False, max_dbs=64)
    with env.begin() as txn:
        names = []
        for k, v in txn.cursor():
            try:
                env.open_db(k, txn=txn, create=False)
                names.append(k)
                out.append("main %s = <database>" % k.hex())
            except lmdb.Error:
                out.append("main %s = %s" % (k.hex(), show(v)))
        for name in names:
            db = env.open_db(name, txn=txn, create=False)
            st = txn.stat(db)
            out.append("db %s entries %d" % (name.hex(), st["entries"]))
            for k, v in txn.cursor(db):
                out.append("  %s = %s" % (k.hex(), show(v)))
    env.close()


def main(root):
    for dirpath, dirnames, filenames in sorted(os.walk(root)):
        dirnames.sort()
        rel = os.path.relpath(dirpath, root)
        if "data.mdb" in filenames:
            print("env %s" % rel)
            print("\n".join(listing(dirpath, True)))
        for f in sorted(filenames):
            if f.endswith(".mdb") and f not in ("data.mdb", "lock.mdb"):
                print("env %s/%s" % (rel, f))
                print("\n".join(listing(os.path.join(dirpath, f), False)))


if __name__ == "__main__":
    main(sys.argv[1])
