#!/usr/bin/env python3
"""host_faults_test.py - klab on a misbehaving host:

  - `klab run` killed with SIGKILL in the middle (during the build, during the
    boot) leaves no QEMU, a consistent progress store, and the next run works;
  - an unwritable $KLAB_HOME gives a clear error, not a crash;
  - a kernel cache left half-written (no .complete stamp) is an `infra`
    verdict that names the fix, and a missing kernel profile is a clear error.

    host_faults_test.py KLAB ROOT
"""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

KLAB, ROOT = sys.argv[1], sys.argv[2]
LAB = "modules-01"
SOLUTION = os.path.join(ROOT, "tests", "solutions", LAB)
failures = []


def check(cond, what, detail=""):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)
        if detail:
            print("     " + str(detail)[:1500])


def qemu_under(path):
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return [l for l in out.splitlines() if "qemu-system" in l and path in l]


def main():
    home = tempfile.mkdtemp(prefix="klab-host-")
    tmp = tempfile.mkdtemp(prefix="klab-host-tmp-")
    env = dict(os.environ, KLAB_HOME=home, TMPDIR=tmp, NO_COLOR="1")
    try:
        subprocess.run([KLAB, "run", LAB, "--src", SOLUTION], env=env, capture_output=True)
        for delay in (0.3, 1.5, 2.2):  # in the build, in the boot, in the tests
            p = subprocess.Popen([KLAB, "run", LAB, "--src", SOLUTION], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(delay)
            p.send_signal(signal.SIGKILL)
            p.wait()
            time.sleep(0.5)  # PR_SET_PDEATHSIG delivery
            check(not qemu_under(tmp), f"SIGKILL after {delay} s: no QEMU left behind",
                  qemu_under(tmp))
        db = sqlite3.connect(os.path.join(home, "progress.db"))
        check(db.execute("PRAGMA integrity_check").fetchone()[0] == "ok",
              "progress store passes integrity_check after the kills")
        rows = db.execute("SELECT count(*) FROM attempts a WHERE (SELECT count(*) FROM "
                          "attempt_tests t WHERE t.attempt_id = a.id) = 0").fetchone()[0]
        check(rows == 0, "no attempt without its test results (all-or-nothing writes)")
        db.close()
        p = subprocess.run([KLAB, "run", LAB, "--src", SOLUTION, "--json"], env=env,
                           capture_output=True, text=True)
        check(json.loads(p.stdout)["verdict"] == "pass", "the next run works")
        check(os.listdir(tmp) == [], "the next run removed the killed runs' build folders",
              os.listdir(tmp))
        shutil.rmtree(tmp)
        os.mkdir(tmp)

        # an unwritable $KLAB_HOME
        ro = os.path.join(home, "readonly")
        os.mkdir(ro)
        os.chmod(ro, 0o500)
        bad = dict(env, KLAB_HOME=os.path.join(ro, "home"))
        if os.geteuid() == 0:
            # root writes anywhere: use a path under a regular file instead
            open(os.path.join(home, "file"), "w").close()
            bad["KLAB_HOME"] = os.path.join(home, "file", "home")
        p = subprocess.run([KLAB, "run", LAB, "--src", SOLUTION], env=bad, capture_output=True,
                           text=True)
        check(p.returncode == 2 and "klab:" in p.stderr and bad["KLAB_HOME"].split("/home")[0] in p.stderr,
              "unwritable $KLAB_HOME: exit 2 with a message naming it", p.stderr)

        # a half-written kernel cache
        cache = tempfile.mkdtemp(prefix="klab-host-cache-")
        real = os.environ.get("KLAB_CACHE") or os.path.join(
            os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "klab")
        rel = open(os.path.join(real, "kernels", "cloud", "current")).read().strip()
        half = os.path.join(cache, "kernels", "cloud", rel)
        os.makedirs(half)
        shutil.copy(os.path.join(real, "kernels", "cloud", "current"),
                    os.path.join(cache, "kernels", "cloud", "current"))
        # (the cloud profile: a missing debug kernel is built, not reported)
        p = subprocess.run([KLAB, "run", LAB, "--kernel", "cloud", "--src", SOLUTION, "--json"],
                           env=dict(env, KLAB_CACHE=cache), capture_output=True, text=True)
        r = json.loads(p.stdout)
        check(r["verdict"] == "infra" and "fetch-kernel.sh cloud" in r["message"],
              "half-written kernel cache: infra, naming scripts/fetch-kernel.sh", r["message"])
        p = subprocess.run([KLAB, "doctor", "--kernel", "cloud"], env=dict(env, KLAB_CACHE=cache),
                           capture_output=True, text=True)
        check(p.returncode == 1 and "incomplete" in p.stdout, "doctor reports the incomplete kernel",
              p.stdout)
        shutil.rmtree(cache)

        p = subprocess.run([KLAB, "run", LAB, "--kernel", "nosuch", "--src", SOLUTION], env=env,
                           capture_output=True, text=True)
        check(p.returncode == 2 and "no kernel profile `nosuch`" in p.stderr,
              "unknown kernel profile: a clear error", p.stderr)
        p = subprocess.run([KLAB, "run", "../../etc"], env=env, capture_output=True, text=True)
        check(p.returncode == 2 and ("not a lab id" in p.stderr or "no lab `../../etc`" in p.stderr),
              "a path as lab id is refused", p.stderr)
    finally:
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"host faults: {len(failures)} check(s) failed" if failures else "host faults: all checks passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
