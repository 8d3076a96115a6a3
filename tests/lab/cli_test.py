#!/usr/bin/env python3
"""cli_test.py - end-to-end tests of klab's learner commands on modules-01:
list, reset, hint, watch and doctor, against a fresh $KLAB_HOME.

    cli_test.py KLAB ROOT
"""
import json
import os
import shutil
import select
import signal
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
        check(p.returncode == 0 and "## Hint 1" in p.stdout and "hint 1 of" in p.stdout,
              "hint: first hint", p.stdout)
        p = klab(env, "hint", LAB)
        check("## Hint 2" in p.stdout, "hint: second call shows hint 2", p.stdout)
        p = klab(env, "hint", LAB, "--again")
        check("## Hint 1" in p.stdout and "## Hint 2" in p.stdout and "## Hint 3" not in p.stdout,
              "hint --again: the two seen", p.stdout)
        p = klab(env, "hint", "no-such-lab")
        check(p.returncode == 2 and "no lab" in p.stderr, "hint: unknown lab is a clear error",
              p.stderr)

        # watch: first run fails on the skeleton, saving the solution re-runs and passes
        ws = os.path.join(home, "workspace", LAB)
        w = subprocess.Popen([KLAB, "watch", LAB], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
        out = wait_for(w, "watching for changes", 120)
        check("fail" in out and "watching for changes" in out, "watch: first run on the skeleton fails", out)
        shutil.copy(os.path.join(ROOT, "tests", "solutions", LAB, "hello.c"), os.path.join(ws, "hello.c"))
        out = wait_for(w, "watching for changes", 120)
        check("pass  15/15" in out, "watch: saving the solution re-runs and passes", out)
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
