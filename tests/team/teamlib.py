"""teamlib.py - what the team tests share: checks that print `ok`/`FAIL` lines
and collect failures, running klab, writing files."""
import os
import subprocess
import sys

failures = []


def check(cond, what, detail=""):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)
        if detail:
            print("     " + str(detail)[:3000])


def run_klab(klab, env, *args, timeout=900):
    return subprocess.run([klab, *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def finish():
    if failures:
        sys.exit("%d check(s) failed: %s" % (len(failures), "; ".join(failures)))
