#!/usr/bin/env python3
"""cli_test.py - `klab ktap` end to end: input from a file and from standard
input, the JSON the issue specifies, the text tree, exit statuses, and
`klab help` naming the command.

    cli_test.py KLAB
"""
import json
import os
import subprocess
import sys
import tempfile

KLAB = sys.argv[1]
failures = []


def check(cond, what, detail=""):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)
        if detail:
            print("     " + str(detail)[:2000])


def ktap(*args, stdin=None):
    return subprocess.run([KLAB, "ktap", *args], input=stdin, capture_output=True, text=True,
                          timeout=60)


def main():
    # a printk-prefixed KUnit suite with tabs, CRLF line ends, no newline at the end
    text = ("[    0.1] unrelated boot line\r\n"
            "[    0.2] KTAP version 1\r\n[    0.2] 1..2\r\n"
            "[    0.3] \tKTAP version 1\r\n[    0.3] \t# Subtest: suite\r\n[    0.3] \t1..2\r\n"
            "[    0.4] \tok 1 first\r\n[    0.4] \t# second: expected 3, got 4\r\n"
            "[    0.4] \tnot ok 2 second\r\n[    0.5] not ok 1 suite\r\n"
            "[    0.6] ok 2 other # SKIP no hardware")
    p = ktap("--json", "-", stdin=text)
    check(p.returncode == 1, "a failed run exits 1", p.stderr)
    try:
        j = json.loads(p.stdout)
    except json.JSONDecodeError:
        j = None
    check(j is not None and set(j) >= {"ok", "tests", "counts"}, "JSON has ok, tests, counts",
          p.stdout)
    if j:
        check(j["ok"] is False, "ok is false")
        top = [(t["name"], t["status"]) for t in j["tests"]]
        check(top == [("suite", "fail"), ("other", "skip")],
              "the top-level tests are the top-level results, the last line without newline too",
              top)
        sub = j["tests"][0]["tests"]
        check([(t["name"], t["status"]) for t in sub] == [("first", "ok"), ("second", "fail")],
              "tab-indented subtests nest under their suite", sub)
        check(sub[1].get("diagnostic") == "second: expected 3, got 4",
              "a diagnostic goes with the result after it", sub[1])
        check(j["counts"]["passed"] == 1 and j["counts"]["failed"] == 1
              and j["counts"]["skipped"] == 1, "counts of the leaves", j["counts"])

    with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as f:
        f.write("KTAP version 1\n1..2\nok 1 a\n  KTAP version 1\n  1..1\n  ok 1 c\nok 2 b\n")
        path = f.name
    try:
        p = ktap(path)
        check(p.returncode == 0, "a passing run exits 0", p.stderr)
        check(p.stdout.splitlines()[:3] == ["ok       a", "ok       b", "  ok       c"],
              "the text tree, two spaces per level", p.stdout)
        check("result: ok" in p.stdout, "the text ends with the overall result", p.stdout)
    finally:
        os.unlink(path)

    p = ktap("--json", stdin="KTAP version 1\n1..3\nok 1 a\n")
    j = json.loads(p.stdout)
    check(p.returncode == 1 and j["tests"][1]["status"] == "crashed"
          and j["counts"]["crashed"] == 2, "results missing against the plan are crashed", j)
    p = ktap(stdin="no KTAP here\n")
    check(p.returncode == 1 and "no KTAP version line" in p.stdout, "no version line: exit 1",
          p.stdout)
    p = ktap("/nonexistent/console.log")
    check(p.returncode == 2 and "cannot open /nonexistent/console.log" in p.stderr,
          "an unreadable file: exit 2 and says which", p.stderr)
    p = ktap("--frobnicate")
    check(p.returncode == 2 and "usage: klab ktap" in p.stderr, "a bad flag: usage, exit 2")
    p = subprocess.run([KLAB, "help"], capture_output=True, text=True)
    check(any(l.split()[:1] == ["ktap"] for l in p.stdout.splitlines()),
          "klab help lists ktap", p.stdout)
    p = subprocess.run([KLAB, "help", "ktap"], capture_output=True, text=True)
    check("klab ktap [--json] [FILE|-]" in p.stdout and "--json" in p.stdout,
          "klab help ktap: its usage and options", p.stdout)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
