#!/usr/bin/env python3
"""The lines of src/ that the last scripts/coverage.sh run left uncovered,
as ranges grouped by file and function (docs/coverage.md lists them with
the reason each cannot be reached).

Reads llvm-cov's JSON export of build/coverage (the objects and profile
that coverage.sh recorded in build/coverage/objects) and applies llvm-cov's
own rule for a line (that of `llvm-cov show`): a line is counted
when a region starts on it or a counted region runs through it; it is
covered when the largest count of those is not 0.  So the totals printed
here count each source line once, where `llvm-cov report` counts a line
once for each function whose regions map it (a lambda's lines, say, for
the lambda and for the function around it); both totals are printed.

Usage: scripts/coverage_gaps.py [--build DIR] [--branches]
  --branches  also list, per function, the branches one side of which was
              never taken (line:column, T = the true side, F = the false)
"""
import argparse
import json
import os
import subprocess
import sys
from collections import defaultdict


def line_stats(segments):
    """{line: count} of the mapped lines of one file (llvm-cov's rule)."""
    out = {}
    if not segments:
        return out
    wrapped = None  # the segment in effect at the start of a line
    i = 0
    n = len(segments)
    last_line = segments[-1][0]
    line = segments[0][0]
    while line <= last_line:
        on_line = []
        while i < n and segments[i][0] == line:
            on_line.append(segments[i])
            i += 1
        starts = [s for s in on_line if s[3] and s[4] and not s[5]]
        skipped = bool(on_line) and not on_line[0][3] and on_line[0][4]
        mapped = not skipped and ((wrapped is not None and wrapped[3]) or starts)
        if mapped:
            count = wrapped[2] if wrapped is not None else 0
            for s in starts:
                count = max(count, s[2])
            out[line] = count
        if on_line:
            wrapped = on_line[-1]
        line += 1
    return out


def demangle(names):
    """{name: demangled}; a function of internal linkage is named
    "file.cpp:_Z..." by llvm-cov, which keeps its file name."""
    if not names:
        return {}
    plain = [n.split(":", 1)[1] if ":" in n else n for n in names]
    try:
        r = subprocess.run(["c++filt"], input="\n".join(plain), capture_output=True, text=True, check=True)
        out = r.stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        out = plain
    return {a: out[k] for k, a in enumerate(names)}


def short(name):
    """A demangled name without its parameter list and namespaces."""
    for prefix in ("(anonymous namespace)::", "lmdb::os::", "lmdb::"):
        name = name.replace(prefix, "")
    depth = 0
    for k, ch in enumerate(name):
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        elif ch == "(" and depth == 0 and k > 0:
            return name[:k]
    return name


def ranges(lines, covered_lines):
    """Runs of uncovered lines, merged over lines that are not mapped."""
    out = []
    for ln in sorted(lines):
        if out and not any(out[-1][1] < c < ln for c in covered_lines):
            out[-1][1] = ln
        else:
            out.append([ln, ln])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build/coverage")
    ap.add_argument("--branches", action="store_true")
    args = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    b = os.path.join(root, args.build) if not os.path.isabs(args.build) else args.build
    try:
        objs = open(os.path.join(b, "objects")).read().split()
    except OSError:
        sys.exit("coverage_gaps: no %s/objects: run scripts/coverage.sh first" % args.build)
    cmd = ["llvm-cov", "export", objs[0]]
    for o in objs[1:]:
        cmd += ["-object", o]
    src = os.path.join(root, "src")
    cmd += ["-instr-profile=" + os.path.join(b, "all.profdata"), "-format=text", src]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=root).stdout
    data = json.loads(out)["data"][0]

    # Function extents per file: (first line, last line, mangled name).
    extents = defaultdict(set)
    for fn in data["functions"]:
        if not fn["regions"] or not fn["filenames"]:
            continue
        r = fn["regions"][0]
        fname = fn["filenames"][r[5]]
        extents[fname].add((r[0], r[2], fn["name"]))
    names = demangle(sorted({e[2] for v in extents.values() for e in v}))

    def function_of(fname, line):
        best = None
        for lo, hi, nm in extents.get(fname, ()):
            if lo <= line <= hi and (best is None or hi - lo < best[1] - best[0]):
                best = (lo, hi, nm)
        return short(names.get(best[2], best[2])) if best else "(no function)"

    total = covered = 0
    btotal = bmissed = 0
    report = []
    for f in sorted(data["files"], key=lambda f: f["filename"]):
        fname = f["filename"]
        rel = os.path.relpath(fname, root)
        stats = line_stats(f["segments"])
        total += len(stats)
        covered += sum(1 for c in stats.values() if c)
        zero = [ln for ln, c in stats.items() if c == 0]
        nonzero = [ln for ln, c in stats.items() if c]
        missed_br = defaultdict(list)
        for br in f["branches"]:
            btotal += 2
            for side, cnt in (("T", br[4]), ("F", br[5])):
                if cnt == 0:
                    bmissed += 1
                    missed_br[function_of(fname, br[0])].append("%d:%d%s" % (br[0], br[1], side))
        if not zero and not (args.branches and missed_br):
            continue
        by_fn = defaultdict(list)
        for ln in zero:
            by_fn[function_of(fname, ln)].append(ln)
        report.append((rel, len(zero), by_fn, nonzero, missed_br))

    for rel, nzero, by_fn, nonzero, missed_br in report:
        print("%s: %d uncovered line%s" % (rel, nzero, "" if nzero == 1 else "s"))
        fns = sorted(set(by_fn) | (set(missed_br) if args.branches else set()),
                     key=lambda k: min(by_fn.get(k, [10**9])))
        for fn in fns:
            parts = []
            for lo, hi in ranges(by_fn.get(fn, []), nonzero):
                parts.append(str(lo) if lo == hi else "%d-%d" % (lo, hi))
            line = "  %s: %s" % (fn, ", ".join(parts) if parts else "-")
            if args.branches and missed_br.get(fn):
                line += "  [branches: %s]" % " ".join(missed_br[fn])
            print(line)
    t = data["totals"]
    print("llvm-cov report: lines %d/%d covered (%.2f%%), %d uncovered; branches %d/%d covered (%.2f%%), %d uncovered" % (
        t["lines"]["covered"], t["lines"]["count"], t["lines"]["percent"], t["lines"]["count"] - t["lines"]["covered"],
        t["branches"]["covered"], t["branches"]["count"], t["branches"]["percent"], t["branches"]["notcovered"]))
    print("source lines (each counted once, as listed above): %d/%d covered, %d uncovered" % (
        covered, total, total - covered))

if __name__ == "__main__":
    main()
