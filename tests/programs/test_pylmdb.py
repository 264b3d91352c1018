"""Debian's python3-lmdb (py-lmdb, its C extension linked to the system
liblmdb.so.0) driven through a scripted scenario.

run_python.sh runs this file twice, once with LD_LIBRARY_PATH pointing at our
liblmdb.so.0 and once at upstream's, then compares the transcripts the tests
write (every value they observe) and cross-opens the environments each side
left behind with the other library.

Environment:
  PYLMDB_OUT     directory for this run: transcript/<test>.txt and envs/<test>/
  PYLMDB_EXPECT  the path of the liblmdb.so.0 that must be the one loaded
"""
import os
import signal
import subprocess
import sys
import threading

import lmdb
import pytest

OUT = os.environ["PYLMDB_OUT"]
MAP_SIZE = 64 << 20


def loaded_liblmdb():
    with open("/proc/self/maps") as f:
        for line in f:
            if "liblmdb.so" in line:
                return line.split()[-1]
    return None


def test_runs_on_the_expected_library():
    want = os.environ["PYLMDB_EXPECT"]
    got = loaded_liblmdb()
    assert got is not None, "no liblmdb.so loaded (is lmdb's extension bundled?)"
    assert os.path.realpath(got) == os.path.realpath(want)
    # The C extension, not the cffi fallback.
    assert "lmdb.cpython" in sys.modules and "lmdb.cffi" not in sys.modules


class Transcript:
    """Lines of observed values; compared between the two libraries."""

    def __init__(self, path):
        self.f = open(path, "w")

    def __call__(self, *parts):
        self.f.write(" ".join(repr(p) for p in parts) + "\n")
        self.f.flush()

    def close(self):
        self.f.close()


@pytest.fixture
def rec(request):
    os.makedirs(os.path.join(OUT, "transcript"), exist_ok=True)
    t = Transcript(os.path.join(OUT, "transcript", request.node.name + ".txt"))
    yield t
    t.close()


@pytest.fixture
def envdir(request):
    d = os.path.join(OUT, "envs", request.node.name)
    os.makedirs(d, exist_ok=True)
    return d


def stat_of(s):
    return (s["depth"], s["branch_pages"], s["leaf_pages"], s["overflow_pages"], s["entries"])


def key(i):
    return b"key%06d" % i


def test_env_basics(rec, envdir):
    env = lmdb.open(envdir, map_size=MAP_SIZE, max_dbs=4)
    rec("max_key_size", env.max_key_size())
    rec("max_readers", env.max_readers())
    rec("flags", sorted(env.flags().items()))
    info = env.info()
    rec("info", info["map_size"], info["last_pgno"], info["last_txnid"], info["num_readers"])
    rec("stat", stat_of(env.stat()))
    with env.begin(write=True) as txn:
        for i in range(2000):
            txn.put(key(i), b"v" * (i % 50))
    env.set_mapsize(MAP_SIZE * 2)
    info = env.info()
    rec("after fill", info["map_size"], info["last_pgno"], info["last_txnid"])
    rec("stat", stat_of(env.stat()))
    env.sync(True)
    env.close()
    # Read back read-only.
    env = lmdb.open(envdir, readonly=True, max_dbs=4)
    with env.begin() as txn:
        rec("get", txn.get(key(1234)), txn.get(b"missing"))
    env.close()


def test_txn_commit_abort_nested_semantics(rec, envdir):
    env = lmdb.open(envdir, map_size=MAP_SIZE, max_dbs=4)
    db = env.open_db(b"t")
    with env.begin(write=True, db=db) as txn:
        rec("id0", txn.id())
        assert txn.put(b"a", b"1")
        assert not txn.put(b"a", b"2", overwrite=False)
        rec("replace", txn.replace(b"a", b"3"))
        rec("pop", txn.pop(b"a"), txn.pop(b"a"))
        txn.put(b"b", b"x")
    txn = env.begin(write=True, db=db)
    txn.put(b"c", b"gone")
    txn.abort()
    with env.begin(db=db) as txn:
        rec("after abort", list(txn.cursor()), txn.id())
    # A read transaction keeps its snapshot while a writer commits.
    reader = env.begin(db=db)
    with env.begin(write=True, db=db) as w:
        w.put(b"d", b"new")
    rec("snapshot", reader.get(b"d"), env.begin(db=db).get(b"d"))
    reader.abort()
    with env.begin(write=True) as txn:
        rec("stat t", stat_of(txn.stat(db)))
        txn.drop(db, delete=False)
        rec("emptied", stat_of(txn.stat(db)))
    with pytest.raises(lmdb.ReadonlyError):
        with env.begin(db=db) as txn:
            txn.put(b"x", b"y")
    env.close()


def test_cursor_iteration_both_ways(rec, envdir):
    env = lmdb.open(envdir, map_size=MAP_SIZE)
    with env.begin(write=True) as txn:
        cur = txn.cursor()
        cur.putmulti([(key(i), b"%d" % (i * i)) for i in range(0, 3000, 3)])
        for i in range(1, 3000, 7):
            txn.put(key(i), b"x" * (i % 3000))  # some values on overflow pages
    with env.begin() as txn:
        cur = txn.cursor()
        fwd = list(cur.iternext())
        rec("forward", len(fwd), fwd[:3], fwd[-3:])
        assert cur.last()
        back = list(cur.iterprev())
        rec("backward", len(back), back[:3], back[-3:])
        assert back == fwd[::-1]
        rec("keys only", list(txn.cursor().iternext(values=False))[:5])
        rec("set_range", cur.set_range(key(1000)), cur.item())
        rec("set_key miss", cur.set_key(key(1000)), cur.key())
        rec("set_range past end", cur.set_range(b"zzz"))
        assert cur.set_key(key(999))
        rec("from 999", [k for k, _ in zip(cur.iternext(values=False), range(4))])
        assert cur.set_key(key(999))
        rec("back from 999", [k for k, _ in zip(cur.iterprev(values=False), range(4))])
        rec("stat", stat_of(txn.stat()))
    # Deletes through a cursor while walking.
    with env.begin(write=True) as txn:
        cur = txn.cursor()
        cur.first()
        n = 0
        while cur.key():
            if int(cur.key()[3:]) % 2 == 0:
                cur.delete()
                n += 1
            elif not cur.next():
                break
        rec("deleted", n, stat_of(txn.stat()))
    with env.begin() as txn:
        rec("left", [k for k, _ in zip(txn.cursor().iternext(values=False), range(6))])
    env.close()


def test_dupsort(rec, envdir):
    env = lmdb.open(envdir, map_size=MAP_SIZE, max_dbs=4)
    db = env.open_db(b"dups", dupsort=True)
    with env.begin(write=True, db=db) as txn:
        for k in range(50):
            for v in range(k % 13 + 1):
                txn.put(b"k%03d" % k, b"val%04d" % (v * 7 % 23))
        # Many duplicates of one key: a sub-tree.
        for v in range(3000):
            txn.put(b"big", b"d%05d" % v)
        assert not txn.put(b"big", b"d00005", dupdata=False)
    with env.begin(db=db) as txn:
        cur = txn.cursor()
        assert cur.set_key(b"k012")
        rec("count k012", cur.count(), list(cur.iternext_dup()))
        assert cur.set_key(b"k012")
        assert cur.last_dup()
        rec("prev dups", list(cur.iterprev_dup()))
        rec("nodup keys", len(list(txn.cursor().iternext_nodup())))
        assert cur.last()
        rec("nodup back", [k for k, _ in zip(cur.iterprev_nodup(keys=True, values=False), range(3))])
        rec("set_key_dup", cur.set_key_dup(b"big", b"d01500"), cur.item())
        rec("set_range_dup", cur.set_range_dup(b"k005", b"val0003"), cur.item())
        assert cur.set_key(b"big")
        rec("count big", cur.count())
        rec("stat", stat_of(txn.stat(db)))
    with env.begin(write=True, db=db) as txn:
        rec("delete one dup", txn.delete(b"big", b"d00100"), txn.delete(b"big", b"nope"))
        cur = txn.cursor()
        assert cur.set_key(b"k012")
        rec("delete all dups", cur.delete(dupdata=True), cur.item())
        rec("stat", stat_of(txn.stat(db)))
    env.close()


def test_getmulti(rec, envdir):
    env = lmdb.open(envdir, map_size=MAP_SIZE, max_dbs=4)
    plain = env.open_db(b"plain")
    dups = env.open_db(b"dups", dupsort=True)
    with env.begin(write=True) as txn:
        for i in range(100):
            txn.put(key(i), b"p%d" % i, db=plain)
            for j in range(i % 5):
                txn.put(key(i), b"d%d" % j, db=dups)
    with env.begin() as txn:
        wanted = [key(i) for i in (3, 99, 50, 1000, 7)]
        rec("plain", txn.cursor(plain).getmulti(wanted))
        rec("dups first", txn.cursor(dups).getmulti(wanted))
        rec("dups all", txn.cursor(dups).getmulti(wanted, dupdata=True))
    env.close()


@pytest.mark.parametrize("width", [1, 4, 8, 64])
def test_dupfixed(rec, envdir, width):
    """DUPSORT|DUPFIXED: values of one width, read with MDB_GET_MULTIPLE /
    MDB_NEXT_MULTIPLE through getmulti(dupfixed_bytes=...)."""
    env = lmdb.open(envdir, map_size=MAP_SIZE, max_dbs=4)
    db = env.open_db(b"fixed", dupsort=True, dupfixed=True)
    count = min(256 ** width, 1500)

    def val(j):
        return (j * 2654435761 % (256 ** width)).to_bytes(width, "big") if width < 8 \
            else (b"%0*d" % (width, j))

    with env.begin(write=True, db=db) as txn:
        for k in range(4):
            txn.cursor().putmulti([(b"k%d" % k, val(j)) for j in range(count // (k + 1))])
        rec("stat", stat_of(txn.stat(db)))
    with env.begin(db=db) as txn:
        cur = txn.cursor()
        for k in range(4):
            assert cur.set_key(b"k%d" % k)
            rec("count", k, cur.count())
        got = cur.getmulti([b"k0", b"k3", b"none"], dupdata=True, dupfixed_bytes=width)
        rec("getmulti", len(got), got[:3], got[-3:])
        plain = txn.cursor().getmulti([b"k0", b"k3", b"none"], dupdata=True)
        assert got == plain
        assert cur.set_key(b"k1")
        rec("dup walk", [v for _, v in zip(cur.iternext_dup(), range(5))])
    with env.begin(write=True, db=db) as txn:
        for j in range(0, count, 3):
            txn.delete(b"k0", val(j))
        rec("after delete", stat_of(txn.stat(db)))
    with env.begin(db=db) as txn:
        cur = txn.cursor()
        assert cur.set_key(b"k0")
        rec("count k0", cur.count(), cur.value())
    env.close()


def test_reader_check(rec, envdir):
    env = lmdb.open(envdir, map_size=MAP_SIZE)
    with env.begin(write=True) as txn:
        txn.put(b"a", b"b")
    # A child process takes a read slot and is killed while holding it.
    child = subprocess.Popen(
        [sys.executable, "-c",
         "import lmdb, sys, time\n"
         "e = lmdb.open(sys.argv[1])\n"
         "t = e.begin()\n"
         "t.get(b'a')\n"
         "print('ready', flush=True)\n"
         "time.sleep(60)\n", envdir],
        stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "ready"
    table = env.readers()
    rec("readers while alive", len(table.strip().splitlines()))
    assert str(child.pid) in table
    rec("reader_check while alive", env.reader_check())
    child.send_signal(signal.SIGKILL)
    child.wait()
    rec("reader_check after kill", env.reader_check())
    rec("again", env.reader_check())
    table = env.readers()
    assert str(child.pid) not in table
    rec("readers after", len(table.strip().splitlines()))
    env.close()


def test_copy(rec, envdir):
    env = lmdb.open(os.path.join(envdir, "src"), map_size=MAP_SIZE)
    with env.begin(write=True) as txn:
        for i in range(5000):
            txn.put(key(i), b"value %d" % i)
    with env.begin(write=True) as txn:
        for i in range(0, 5000, 2):
            txn.delete(key(i))
    for name, compact in (("plain", False), ("compact", True)):
        dst = os.path.join(envdir, name)
        os.makedirs(dst)
        env.copy(dst, compact=compact)
        copy = lmdb.open(dst, readonly=True)
        with copy.begin() as txn:
            items = list(txn.cursor())
            rec(name, len(items), items[:2], stat_of(txn.stat()), copy.info()["last_pgno"])
        copy.close()
    with open(os.path.join(envdir, "fd.mdb"), "wb") as f:
        env.copyfd(f.fileno(), compact=True)
    rec("copyfd size", os.path.getsize(os.path.join(envdir, "fd.mdb")))
    env.close()


def test_threads_with_read_txns(rec, envdir):
    env = lmdb.open(envdir, map_size=MAP_SIZE, max_readers=64)
    with env.begin(write=True) as txn:
        for i in range(1000):
            txn.put(key(i), b"0")
    errors = []
    seen = []
    start = threading.Barrier(9)

    def reader(n):
        try:
            start.wait()
            for _ in range(30):
                with env.begin() as txn:
                    vals = {v for _, v in txn.cursor()}
                    # Each snapshot is one generation: the writer rewrites
                    # every value in one transaction.
                    if len(vals) != 1:
                        errors.append((n, sorted(vals)))
                    seen.append(int(next(iter(vals))))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append((n, repr(e)))

    def writer():
        start.wait()
        for gen in range(1, 21):
            with env.begin(write=True) as txn:
                for i in range(1000):
                    txn.put(key(i), b"%d" % gen)

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(8)]
    threads.append(threading.Thread(target=writer))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(seen) == 8 * 30
    with env.begin() as txn:
        rec("final", set(v for _, v in txn.cursor()), env.info()["last_txnid"])
        rec("stat", stat_of(txn.stat()))
    rec("reader_check", env.reader_check())
    env.close()
