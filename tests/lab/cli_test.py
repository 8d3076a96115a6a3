#!/usr/bin/env python3
"""cli_test.py - end-to-end tests of klab's learner commands on modules-01:
list, reset, hint, watch, log and doctor, against a fresh $KLAB_HOME; the
module's own log (pr_info) in the output; the workspace's tests/ and
compile_commands.json; per-lab attempt numbers. (Conventions that need no VM:
tests/cli/conventions_test.py.)

    cli_test.py KLAB ROOT
"""
import json
import os
import shutil
import select
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time

KLAB, ROOT = sys.argv[1], sys.argv[2]
LAB = "modules-01"
failures = []



def check(cond, what, detail=""):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)
        if detail:
            print("     " + str(detail)[:2000])


def klab(env, *args, timeout=300):
    return subprocess.run([KLAB, *args], env=env, capture_output=True, text=True, timeout=timeout)


def wait_for(proc, needle, seconds):
    """Reads proc's stdout until a line contains needle; returns everything read."""
    seen, deadline = "", time.monotonic() + seconds
    fd = proc.stdout.fileno()
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        seen += chunk.decode(errors="replace")
        if needle in seen:
            break
    return seen


def main():
    home = tempfile.mkdtemp(prefix="klab-cli-")
    env = dict(os.environ, KLAB_HOME=home, NO_COLOR="1")
    try:
        labs = json.loads(klab(env, "list", "--json").stdout)
        mine = [l for l in labs if l["id"] == LAB]
        check(mine and mine[0]["status"] == "not started" and mine[0]["best"] is None,
              "list: modules-01 not started", labs)

        p = klab(env, "doctor")
        check(p.returncode == 0 and "everything klab needs is here" in p.stdout, "doctor: all ok",
              p.stdout)

        p = klab(env, "hint", LAB)
        check(p.returncode == 0 and "Hint 1\n------" in p.stdout and "hint 1 of" in p.stdout
              and "## " not in p.stdout, "hint: first hint, rendered for the terminal", p.stdout)
        p = klab(env, "hint", LAB)
        check("Hint 2\n------" in p.stdout, "hint: second call shows hint 2", p.stdout)
        p = klab(env, "hint", LAB, "--again")
        check("Hint 1\n" in p.stdout and "Hint 2\n" in p.stdout and "Hint 3" not in p.stdout,
              "hint --again: the two seen", p.stdout)
        p = klab(env, "hint", "no-such-lab")
        check(p.returncode == 2 and "no lab" in p.stderr, "hint: unknown lab is a clear error",
              p.stderr)

        # another lab's attempt first, so that global ids and per-lab numbers differ
        db = sqlite3.connect(os.path.join(home, "progress.db"))
        db.execute("INSERT INTO attempts(lab, started_at, duration_ms, verdict, score, max_score)"
                   " VALUES('signals-01', 0, 1000, 'fail', 0, 10)")
        db.commit()
        db.close()

        # watch: first run fails on the skeleton, saving the solution re-runs and passes
        ws = os.path.join(home, "workspace", LAB)
        w = subprocess.Popen([KLAB, "watch", LAB], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
        out = wait_for(w, "watching for changes", 240)
        check("fail" in out and "watching for changes" in out, "watch: first run on the skeleton fails", out)
        check("your module's log:" in out and "hello: unknown parameter" in out,
              "a failing run shows the module's kernel log", out)
        check("attempt 1" in out, "watch: the first run is the lab's attempt 1", out)
        # the workspace: guest tests read-only beside the learner's file, and for editors
        # the compile command Kbuild used, against the profile's headers
        t = os.path.join(ws, "tests", "test_hello.c")
        check(os.path.isfile(t) and not os.stat(t).st_mode & (stat.S_IWUSR | stat.S_IWGRP |
                                                               stat.S_IWOTH),
              "workspace: tests/test_hello.c, read-only")
        check(os.path.isfile(os.path.join(ws, "tests", "klab_test.h")), "workspace: klab_test.h")
        try:
            cdb = json.load(open(os.path.join(ws, "compile_commands.json")))
        except (OSError, ValueError) as e:
            cdb = [str(e)]
        mod = [e for e in cdb if isinstance(e, dict) and e["file"] == os.path.join(ws, "hello.c")]
        check(mod and "-D__KERNEL__" in mod[0]["command"] and "-nostdinc" in mod[0]["command"]
              and os.path.isdir(mod[0]["directory"]) and "objtool" not in mod[0]["command"]
              and os.path.join(ws, "hello.c") in mod[0]["command"],
              "workspace: compile_commands.json has Kbuild's command for hello.c", cdb)
        check(any(e.get("file") == t for e in cdb if isinstance(e, dict)),
              "workspace: compile_commands.json has the guest test", cdb)
        shutil.copy(os.path.join(ROOT, "tests", "solutions", LAB, "hello.c"), os.path.join(ws, "hello.c"))
        out = wait_for(w, "watching for changes", 240)
        full = next(l["max"] for l in json.loads(klab(env, "list", "--json").stdout)
                    if l["id"] == LAB)
        check("pass  %d/%d" % (full, full) in out and "attempt 2" in out,
              "watch: saving the solution re-runs and passes (attempt 2)", out)
        check("your module's log:" not in out, "a pass without --log: no module log", out)
        # saving again without changing the result is a trial, not an attempt
        shutil.copy(os.path.join(ROOT, "tests", "solutions", LAB, "hello.c"), os.path.join(ws, "hello.c"))
        out = wait_for(w, "watching for changes", 240)
        check("pass  %d/%d" % (full, full) in out and "not a new attempt" in out,
              "watch: the same result again is not recorded", out)
        w.send_signal(signal.SIGINT)
        try:
            rc = w.wait(timeout=10)
        except subprocess.TimeoutExpired:
            w.kill()
            rc = None
        check(rc == 0, f"watch: stops cleanly on Ctrl-C (exit {rc})")

        labs = json.loads(klab(env, "list", "--json").stdout)
        mine = [l for l in labs if l["id"] == LAB][0]
        check(mine["status"] == "passed" and mine["best"] == mine["max"] and mine["attempts"] == 2,
              "list: passed with the best score after watch", mine)

        # per-lab attempt numbers, and klab log
        p = klab(env, "log", LAB, "1")
        check(p.returncode == 0 and f"{LAB} attempt 1 of 2" in p.stdout and "fail" in p.stdout
              and "your module's log:" in p.stdout, "log LAB 1: the first attempt's output",
              p.stdout + p.stderr)
        p = klab(env, "log", LAB)
        check(p.returncode == 0 and f"{LAB} attempt 2 of 2" in p.stdout and "pass" in p.stdout
              and 'hello: loaded with greeting="klab" count=3' in p.stdout,
              "log LAB: the last attempt, its module log kept", p.stdout + p.stderr)
        a = json.loads(klab(env, "log", LAB, "--json").stdout)
        check(a["attempt"] == 2 and a["attempt_id"] == 3, "log --json: per-lab number 2, id 3", a)
        p = klab(env, "log", LAB, "2", "--diff")
        check("+#define pr_fmt" in p.stdout, "log --diff: what changed since attempt 1", p.stdout)
        p = klab(env, "log", LAB, "7")
        check(p.returncode == 2 and "pick N from 1 to 2" in p.stderr, "log: no attempt 7",
              p.stderr)

        # the module's own pr_info lines: in --json on a failing run, with --log on a pass
        with tempfile.TemporaryDirectory(prefix="klab-cli-src-") as src:
            sol = open(os.path.join(ROOT, "tests", "solutions", LAB, "hello.c")).read()
            with open(os.path.join(src, "hello.c"), "w") as f:
                f.write(sol.replace("count > 10", "count > 11"))
            p = klab(env, "run", LAB, "--src", src, "--json", "--no-record")
            r = json.loads(p.stdout)
            check(r["verdict"] == "fail" and
                  'hello: loaded with greeting="klab" count=3' in r["module_log"] and
                  "hello: unloaded" in r["module_log"],
                  "run --json: pr_info lines in module_log", r.get("module_log"))
        p = klab(env, "run", LAB, "--src", os.path.join(ROOT, "tests", "solutions", LAB), "--log",
                 "--no-record")
        check(p.returncode == 0 and "your module's log:" in p.stdout and
              '  | hello: loaded with greeting="klab" count=3' in p.stdout,
              "run --log: the module's pr_info lines on a pass", p.stdout)

        p = klab(env, "reset", LAB)
        backup = [l.split(" in ", 1)[1] for l in p.stdout.splitlines() if "saved in" in l]
        check(p.returncode == 0 and backup and
              open(os.path.join(backup[0], "hello.c")).read() ==
              open(os.path.join(ROOT, "tests", "solutions", LAB, "hello.c")).read(),
              "reset: the learner's file is saved first", p.stdout)
        check(open(os.path.join(ws, "hello.c")).read() ==
              open(os.path.join(ROOT, "labs", LAB, "hello.c")).read(), "reset: skeleton restored")
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(f"cli: {len(failures)} check(s) failed" if failures else "cli: all checks passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
