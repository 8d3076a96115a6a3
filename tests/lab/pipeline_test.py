#!/usr/bin/env python3
"""pipeline_test.py - end-to-end tests of the lab pipeline on modules-01.

    pipeline_test.py KLAB ROOT

Checks, through the real `klab run` (QEMU under TCG):
  - a NULL write in init gives `fault`, decoded to the right file and line;
  - a WARN_ON in init gives `fault` at its line;
  - an init that never returns gives `timeout` within the timeout plus 2 s and
    leaves no QEMU process behind;
  - a syntax error gives `build-error` with the file and line (Kbuild's own output,
    though a lab built before is otherwise rebuilt by replaying Kbuild's commands);
  - --junit writes JUnit XML; --json output has a duration for every step;
  - attempts are recorded in the progress store and the attempts repository;
  - runs in a row share no state: each has its own run id, starts clean, and a
    module one run left loaded is not there in the next, and runs restored from
    one snapshot draw different numbers from the kernel's RNG;
  - snapshots (in a private $KLAB_CACHE): the first run boots cold and saves one,
    the next restores it; a corrupted snapshot (its state or its RAM file) falls
    back to a cold boot that still passes (and is replaced); so does a RAM file
    QEMU can't make; a changed key (another klab-init, another
    kernel) makes a new snapshot;
  - two runs at once (same $KLAB_HOME, same lab) do not disturb each other.
"""
import glob
import json
import os
import re
import shutil
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


def run(src, home, *extra, klab=KLAB, cache=None):
    env = dict(os.environ, KLAB_HOME=home, NO_COLOR="1")
    if cache:
        env["KLAB_CACHE"] = cache
    t0 = time.monotonic()
    p = subprocess.run([klab, "run", LAB, "--json", "--src", src, *extra], env=env,
                       capture_output=True, text=True, timeout=300)
    res = json.loads(p.stdout)
    res["_exit"], res["_wall"] = p.returncode, time.monotonic() - t0
    return res


def random_solution(parent):
    """The reference solution, plus a line logging get_random_u64() at load: its folder."""
    with open(os.path.join(SOLUTION, "hello.c")) as f:
        text = f.read()
    loaded = '\tpr_info("loaded with greeting=\\"%s\\" count=%d\\n", greeting, count);\n'
    include = "#include <linux/moduleparam.h>\n"
    check(loaded in text and include in text,
          "the reference solution still has the lines the RNG check adds to")
    text = text.replace(include, include + "#include <linux/random.h>\n")
    text = text.replace(loaded, loaded + '\tpr_info("random %016llx\\n", get_random_u64());\n')
    d = os.path.join(parent, "random-hello")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "hello.c"), "w") as f:
        f.write(text)
    return d


def check(cond, what, res=None):
    if cond:
        print(f"ok   {what}")
    else:
        failures.append(what)
        print(f"FAIL {what}")
        if res is not None:
            print("     " + json.dumps({k: res.get(k) for k in
                                        ("verdict", "score", "message", "fault", "diagnostics",
                                         "durations", "step", "vm_start", "vm_notes")})[:2000])


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
        # KASAN's shadow check turns a write near NULL into a general protection fault
        title = f.get("title") or ""
        check("NULL pointer dereference" in title or "general protection fault" in title,
              "fault title names the oops", r)

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
        check(r["run_id"] and not qemu_running(r["run_id"]), "no QEMU left behind after the timeout", r)
        subprocess.run(["rm", "-rf", r["build_dir"]])

        r = run(os.path.join(FAULTS, "syntax"), home)
        diags = [x for x in r["diagnostics"] if x["severity"] == "error"]
        check(r["verdict"] == "build-error" and diags
              and diags[0]["file"] == os.path.join(FAULTS, "syntax", "hello.c")
              and diags[0]["line"] == 9,
              "syntax error: build-error at syntax/hello.c:9 (the line after the missing ';')", r)
        check("syntax/hello.c:9" in r["message"], "build-error message names file:line", r)
        check(r.get("build_by") == "kbuild",
              "a compile error is Kbuild's own output, even with Kbuild's commands kept", r)

        junit = os.path.join(home, "junit.xml")
        r = run(SOLUTION, home, "--junit", junit)
        check(r["verdict"] == "pass" and r["score"] == r["max"], "reference solution passes", r)
        check(r.get("build_by") == "replay",
              "a lab built before is rebuilt by replaying Kbuild's commands", r)
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
    # run (refuse-unload) is not there in the next, restored from the snapshot
    with tempfile.TemporaryDirectory(prefix="klab-pipe-") as home:
        first = run(os.path.join(FAULTS, "refuse-unload"), home)
        second = run(SOLUTION, home)
        third = run(SOLUTION, home)
        check(any(t["name"] == "unload:hello" and not t["ok"] for t in first["tests"]),
              "first run leaves its module loaded", first)
        check(second["verdict"] == "pass" and third["verdict"] == "pass",
              "the next runs load the module afresh and pass", second)
        check(second["vm_start"] == "restore" and third["vm_start"] == "restore",
              f"the next runs start from the snapshot ({second['vm_start']}, {third['vm_start']})",
              second)
        ids = {first["run_id"], second["run_id"], third["run_id"]}
        check(len(ids) == 3 and None not in ids, f"each run has its own run id ({len(ids)} ids)")
        check(all(x["clean_start"] for x in (first, second, third)),
              "each guest started with no module loaded and an empty /tmp")
        # the RNG is ready in the snapshot, and each run's header reseeds it
        draws = []
        random_hello = random_solution(home)
        for _ in range(2):
            r = run(random_hello, home)
            drawn = re.findall(r"hello: random ([0-9a-f]{16})", r.get("module_log") or "")
            # modules-01's tests load the module twice more; the first load is /init's
            check(r["verdict"] == "pass" and r["vm_start"] == "restore" and drawn,
                  f"a restored run draws from the kernel's RNG ({drawn})", r)
            draws += drawn[:1]
        check(len(draws) == 2 and draws[0] != draws[1],
              f"two runs restored from one snapshot draw different numbers ({draws})")

    snapshot_checks()

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


def snapshots(cache):
    return sorted(glob.glob(os.path.join(cache, "snapshots", "*.vm.zst")))


def snapshot_checks():
    """Snapshots made, restored, replaced when broken, and keyed, in a private cache."""
    shared = os.environ.get("KLAB_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "klab")
    with tempfile.TemporaryDirectory(prefix="klab-pipe-") as home, \
            tempfile.TemporaryDirectory(prefix="klab-cache-") as cache:
        os.symlink(os.path.realpath(os.path.join(shared, "kernels")), os.path.join(cache, "kernels"))
        r = run(SOLUTION, home, cache=cache)
        check(r["verdict"] == "pass" and r["vm_start"] == "cold+save" and len(snapshots(cache)) == 1,
              f"no snapshot yet: the run boots cold, saves one and passes ({r['vm_start']})", r)
        r = run(SOLUTION, home, cache=cache)
        check(r["verdict"] == "pass" and r["vm_start"] == "restore",
              f"the next run restores the snapshot and passes ({r['vm_start']}, "
              f"boot {r['durations'].get('boot', 0):.2f} s)", r)

        snap = snapshots(cache)[0]
        size = os.path.getsize(snap)
        with open(snap, "r+b") as f:  # garbage in the middle of the saved state
            f.seek(size // 2)
            f.write(os.urandom(4096))
        before = os.stat(snap).st_ino
        r = run(SOLUTION, home, cache=cache)
        check(r["verdict"] == "pass" and r["vm_start"] == "cold+save"
              and "did not restore" in (r["vm_notes"] or ""),
              f"a corrupted snapshot: a cold boot that passes ({r['vm_start']}: {r['vm_notes']})", r)
        check(snapshots(cache) == [snap] and os.stat(snap).st_ino != before,
              "the corrupted snapshot was replaced by a new one")
        # the RAM is a file beside the state (snapshot.h): a restored run never writes it,
        # and a RAM file written since the save is a damaged snapshot too
        ram = snapshots(cache)[0][:-len(".vm.zst")] + ".ram"
        saved = os.stat(ram).st_mtime_ns
        r = run(SOLUTION, home, cache=cache)
        check(r["verdict"] == "pass" and r["vm_start"] == "restore",
              f"and the run after restores the new one ({r['vm_start']})", r)
        st = os.stat(ram)
        check(st.st_size >= 256 << 20 and st.st_mtime_ns == saved,
              f"the RAM file is the guest's memory ({st.st_size >> 20} MB, "
              f"{st.st_blocks * 512 >> 20} MB on disk) and the restored runs left it as saved")
        with open(ram, "r+b") as f:
            f.seek(st.st_size // 2)
            f.write(os.urandom(4096))
        r = run(SOLUTION, home, cache=cache)
        check(r["verdict"] == "pass" and r["vm_start"] == "cold+save"
              and "changed since it was saved" in (r["vm_notes"] or ""),
              f"a RAM file written since the save: a cold boot that passes ({r['vm_start']}: "
              f"{r['vm_notes']})", r)
        snap = snapshots(cache)[0]

        # a RAM file QEMU can't make (the folder immutable, so even root can't): the
        # run boots without saving and passes, never an error blamed on the learner
        snapdir = os.path.join(cache, "snapshots")
        for f in glob.glob(os.path.join(snapdir, "*.vm.zst")) + glob.glob(os.path.join(snapdir, "*.ram")):
            os.unlink(f)
        immutable = subprocess.run(["chattr", "+i", snapdir], capture_output=True, text=True)
        check(immutable.returncode == 0,
              f"the snapshots folder made immutable (chattr +i){immutable.stderr.strip()}")
        try:
            r = run(SOLUTION, home, cache=cache)
        finally:
            subprocess.run(["chattr", "-i", snapdir])
        check(r["verdict"] == "pass" and r["vm_start"] == "cold"
              and "QEMU ended on its RAM file" in (r["vm_notes"] or ""),
              f"no RAM file for a save: a cold boot that passes ({r['vm_start']}: "
              f"{(r['vm_notes'] or '').strip()[:160]})", r)
        r = run(SOLUTION, home, cache=cache)
        check(r["verdict"] == "pass" and r["vm_start"] == "cold+save" and snapshots(cache),
              f"and the next run saves one again ({r['vm_start']})", r)
        snap = snapshots(cache)[0]

        # another klab-init (the same program with a byte more) is another key
        with tempfile.TemporaryDirectory(prefix="klab-bin-") as bindir:
            for f in ("klab", "klab-init"):
                shutil.copy2(os.path.join(os.path.dirname(KLAB), f), bindir)
            with open(os.path.join(bindir, "klab-init"), "ab") as f:
                f.write(b"\0")
            r = run(SOLUTION, home, klab=os.path.join(bindir, "klab"), cache=cache)
        check(r["verdict"] == "pass" and r["vm_start"] == "cold+save" and len(snapshots(cache)) == 2
              and snap in snapshots(cache),
              f"a changed klab-init makes a new snapshot beside the old one ({r['vm_start']}, "
              f"{len(snapshots(cache))} snapshots)", r)


if __name__ == "__main__":
    main()
