#!/usr/bin/env python3
"""Put the latest benchmark report (bench/results/latest.md, written by
bench/compare) into README.md, between the <!-- bench:begin --> and
<!-- bench:end --> markers.  Usage: python3 scripts/readme_bench.py"""

import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPORT = os.path.join(REPO, "bench", "results", "latest.md")
README = os.path.join(REPO, "README.md")
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def main():
    try:
        with open(REPORT) as f:
            report = f.read()
    except OSError as e:
        sys.exit(f"readme_bench: {e}; run python3 bench/compare first")
    with open(README) as f:
        readme = f.read()
    if BEGIN not in readme or END not in readme:
        sys.exit(f"readme_bench: README.md lacks the {BEGIN} / {END} markers")
    # The report's title goes; its sections become subsections of the README's.
    body = re.sub(r"\A# [^\n]*\n+", "", report)
    body = re.sub(r"^## ", "### ", body, flags=re.M).strip()
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    with open(README, "w") as f:
        f.write(f"{head}{BEGIN}\n{body}\n{END}{tail}")
    print("readme_bench: README.md updated from bench/results/latest.md")


if __name__ == "__main__":
    main()
