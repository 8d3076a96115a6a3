#!/usr/bin/env python3
"""guest_faults_test.py - guest test programs that misbehave, on fixture labs
(tests/fixtures/guest/labs/) run through the real `klab run`:

  - KTAP that lies (more results than the plan, duplicate numbers, a check
    both ok and not ok, an undeclared check, a program with no plan): the lie
    never earns points, the truth still counts;
  - a test program that never exits (and ignores SIGTERM): `timeout`, naming
    the test, within its test_timeout plus a margin, no QEMU left;
  - a test program that segfaults: `fail`, saying it was killed by signal 11,
    and the checks it never reached fail as "not run";
  - test programs whose own record contradicts their results: all ok but exit
    status 1 (none of its checks count), fewer results than the plan (the
    missing check fails, saying so).

    guest_faults_test.py KLAB ROOT
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

KLAB, ROOT = sys.argv[1], sys.argv[2]
failures = []


def check(cond, what, res=None):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)
        if res is not None:
            print("     " + json.dumps({k: res.get(k) for k in ("verdict", "score", "message",
                                                                 "tests", "step")})[:2000])


def main():
    root = tempfile.mkdtemp(prefix="klab-fixture-root-")
    home = tempfile.mkdtemp(prefix="klab-fixture-home-")
    try:
        # a klab tree whose labs are the fixtures; kernels and the guest header are the real ones
        os.symlink(os.path.join(ROOT, "tests", "fixtures", "guest", "labs"), os.path.join(root, "labs"))
        for d in ("kernels", "server", "static", "notes"):
            os.symlink(os.path.join(ROOT, d), os.path.join(root, d))
        env = dict(os.environ, KLAB_ROOT=root, KLAB_HOME=home, NO_COLOR="1")

        def run(lab):
            p = subprocess.run([KLAB, "run", lab, "--json"], env=env, capture_output=True,
                               text=True, timeout=300)
            r = json.loads(p.stdout)
            r["_exit"] = p.returncode
            r["_tests"] = {t["name"]: t for t in r["tests"]}
            return r

        r = run("lying-01")
        t = r["_tests"]
        check(r["verdict"] == "fail" and r["_exit"] == 1, "lying KTAP: verdict fail", r)
        check(not t["real_check"]["ok"] and "failing after it passed" in (t["real_check"]["diagnostic"] or ""),
              "a check reported both ok and not ok counts as failed, with its diagnostic", r)
        check(not t["never_reported"]["ok"] and t["never_reported"]["diagnostic"].startswith("not run"),
              "a declared check never reported fails as not run", r)
        check(t["honest_check"]["ok"], "a program with no KTAP plan still reports its check", r)
        check(r["score"] == 1 and "undeclared_extra" not in t, "the lies earn nothing: 1 of 4 points", r)

        r = run("hang-01")
        check(r["verdict"] == "timeout" and r["step"] == "test:test_hang",
              "a test program that never exits: timeout naming test:test_hang", r)
        check(r["_tests"]["before_hang"]["ok"] and not r["_tests"]["after_hang"]["ok"],
              "its check before the hang counts, the one after does not", r)
        ran = r["durations"]["run"] - r["durations"].get("lag", 0)  # less the host's lag
        check(ran < 3 + 10, f"ended within its 3 s test_timeout plus margin "
              f"({ran:.1f} s of {r['durations']['run']:.1f} s)", r)

        r = run("crash-01")
        crash = [x for x in r["tests"] if x["name"] == "test_crash"]
        check(r["verdict"] == "fail" and r["_tests"]["before_crash"]["ok"]
              and not r["_tests"]["after_crash"]["ok"], "a segfaulting test program: fail", r)
        check(crash and "signal 11" in (crash[0]["diagnostic"] or ""),
              "its failure says it was killed by signal 11", r)
        check("printed 1 of the 2 results its plan declared, then was killed by signal 11"
              in (r["_tests"]["after_crash"]["diagnostic"] or ""),
              "the check it never reached says how the program ended", r)

        r = run("record-01")
        t = r["_tests"]
        check(r["verdict"] == "fail" and r["score"] == 2, "contradicting records: fail, 2 of 5", r)
        check(not t["liar_a"]["ok"] and not t["liar_b"]["ok"]
              and "exited with status 1 although none of its 2 results" in t["liar_a"]["diagnostic"],
              "all ok but exit status 1: none of its checks count, and it says why", r)
        check(t["short_a"]["ok"] and not t["short_c"]["ok"]
              and "printed 2 of the 3 results its plan declared, then exited with status 0"
              in t["short_c"]["diagnostic"], "fewer results than the plan: the missing one fails", r)
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)
    print(f"guest faults: {len(failures)} check(s) failed" if failures else "guest faults: all checks passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
