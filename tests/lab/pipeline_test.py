#!/usr/bin/env python3
"""pipeline_test.py - end-to-end tests of the lab pipeline on modules-01.

    pipeline_test.py KLAB ROOT

Checks, through the real `klab run` (QEMU under TCG):
  - a NULL write in init gives `fault`, decoded to the right file and line;
  - a WARN_ON in init gives `fault` at its line;
  - an init that never returns gives `timeout` within the timeout plus 2 s and
    leaves no QEMU process behind;
  - a syntax error gives `build-error` with the file and line;
  - --junit writes JUnit XML; --json output has a duration for every step;
  - attempts are recorded in the progress store and the attempts repository;
  - two runs at once (same $KLAB_HOME, same lab) do not disturb each other.
"""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

KLAB, ROOT = sys.argv[1], sys.argv[2]
LAB = "modules-01"
FAULTS = os.path.join(ROOT, "tests", "faults")
SOLUTION = os.path.join(ROOT, "tests", "solutions", LAB)
failures = []


def run(src, home, *extra):
    env = dict(os.environ, KLAB_HOME=home, NO_COLOR="1")
    t0 = time.monotonic()
    p = subprocess.run([KLAB, "run", LAB, "--json", "--src", src, *extra], env=env,
                       capture_output=True, text=True, timeout=300)
    res = json.loads(p.stdout)
    res["_exit"], res["_wall"] = p.returncode, time.monotonic() - t0
    return res


def check(cond, what, res=None):
    if cond:
        print(f"ok   {what}")
    else:
        failures.append(what)
        print(f"FAIL {what}")
        if res is not None:
            print("     " + json.dumps({k: res.get(k) for k in
                                        ("verdict", "score", "message", "fault", "diagnostics",
                                         "durations", "step")})[:2000])


def qemu_running(path):
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return [l for l in out.splitlines() if "qemu-system" in l and path in l]


def main():
    with tempfile.TemporaryDirectory(prefix="klab-pipe-") as home:
        r = run(os.path.join(FAULTS, "null-deref"), home)
        f = r.get("fault") or {}
        check(r["verdict"] == "fault" and r["_exit"] == 1, "NULL write in init: verdict fault", r)
        check(f.get("file") == os.path.join(FAULTS, "null-deref", "hello.c") and f.get("line") == 12
              and f.get("function") == "hello_init",
              "NULL write decoded to null-deref/hello.c:12 in hello_init", r)
        check("NULL pointer dereference" in (f.get("title") or ""), "fault title names the oops", r)

        r = run(os.path.join(FAULTS, "warn"), home)
        f = r.get("fault") or {}
        check(r["verdict"] == "fault" and f.get("kind") == "WARNING" and f.get("line") == 10,
              "WARN_ON in init: fault decoded to warn/hello.c:10", r)

        timeout = 4
        r = run(os.path.join(FAULTS, "hang"), home, "--timeout", str(timeout), "--keep")
        d = r["durations"]
        check(r["verdict"] == "timeout" and r["step"] == "load:hello",
              "init that never returns: verdict timeout while running load:hello", r)
        check(d["run"] <= timeout + 2, f"timeout reached within {timeout}+2 s (run took {d['run']:.1f} s)", r)
        check(not qemu_running(r["build_dir"]), "no QEMU left behind after the timeout", r)
        subprocess.run(["rm", "-rf", r["build_dir"]])

        r = run(os.path.join(FAULTS, "syntax"), home)
        diags = [x for x in r["diagnostics"] if x["severity"] == "error"]
        check(r["verdict"] == "build-error" and diags
              and diags[0]["file"] == os.path.join(FAULTS, "syntax", "hello.c")
              and diags[0]["line"] == 9,
              "syntax error: build-error at syntax/hello.c:9 (the line after the missing ';')", r)
        check("syntax/hello.c:9" in r["message"], "build-error message names file:line", r)

        junit = os.path.join(home, "junit.xml")
        r = run(SOLUTION, home, "--junit", junit)
        check(r["verdict"] == "pass" and r["score"] == r["max"], "reference solution passes", r)
        for step in ("build", "tests", "pack", "boot", "run", "record", "total"):
            check(step in r["durations"], f"--json has the duration of step {step}", r)
        suite = ET.parse(junit).getroot().find("testsuite")
        check(suite is not None and suite.get("failures") == "0"
              and int(suite.get("tests")) == len(r["tests"]), "--junit writes a passing suite", r)

        db = sqlite3.connect(os.path.join(home, "progress.db"))
        rows = db.execute("SELECT verdict, commit_id FROM attempts ORDER BY id").fetchall()
        check([v for v, _ in rows] == ["fault", "fault", "timeout", "build-error", "pass"],
              f"every attempt recorded in order ({[v for v, _ in rows]})")
        check(all(c for _, c in rows), "every attempt has a commit in the attempts repository")
        log = subprocess.run(["git", "--git-dir", os.path.join(home, "attempts.git"), "log",
                              "--oneline", LAB], capture_output=True, text=True).stdout
        check(len(log.splitlines()) == 5, "attempts repository has 5 commits on the lab branch")

    # runs in a row never see each other's state: a module left loaded by one
    # run (refuse-unload) is not there in the next, which boots a fresh kernel
    with tempfile.TemporaryDirectory(prefix="klab-pipe-") as home:
        first = run(os.path.join(FAULTS, "refuse-unload"), home)
        second = run(SOLUTION, home)
        third = run(SOLUTION, home)
        check(any(t["name"] == "unload:hello" and not t["ok"] for t in first["tests"]),
              "first run leaves its module loaded", first)
        check(second["verdict"] == "pass" and third["verdict"] == "pass",
              "the next runs load the module afresh and pass", second)
        ids = {first["boot_id"], second["boot_id"], third["boot_id"]}
        check(len(ids) == 3 and None not in ids, f"each run booted its own kernel ({len(ids)} boot ids)")
        check(all(x["clean_start"] for x in (first, second, third)),
              "each guest started with no module loaded and an empty /tmp")

    # two runs at once, sharing one $KLAB_HOME: each gets its own verdict
    with tempfile.TemporaryDirectory(prefix="klab-pipe-") as home:
        env = dict(os.environ, KLAB_HOME=home, NO_COLOR="1")
        procs = [subprocess.Popen([KLAB, "run", LAB, "--json", "--src", src], env=env,
                                  stdout=subprocess.PIPE, text=True)
                 for src in (SOLUTION, os.path.join(ROOT, "labs", LAB), SOLUTION)]
        results = [json.loads(p.communicate(timeout=300)[0]) for p in procs]
        verdicts = [x["verdict"] for x in results]
        check(verdicts == ["pass", "fail", "pass"], f"three runs at once: {verdicts}")
        db = sqlite3.connect(os.path.join(home, "progress.db"))
        n = db.execute("SELECT count(*), count(DISTINCT commit_id) FROM attempts").fetchone()
        check(n == (3, 3), f"three attempts and three commits recorded ({n})")

    print(f"pipeline: {len(failures)} check(s) failed" if failures else "pipeline: all checks passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
