#!/usr/bin/env python3
"""faults_test.py - the guest-fault matrix: modules that misbehave in every way
we know must each get the right verdict, in bounded time, with no QEMU and no
build folder left behind, and the progress store intact.

    faults_test.py KLAB ROOT [VARIANT...]

Each variant is a modules-01 solution with a bug (tests/faults/<variant>/hello.c).
Prints a table: variant, verdict, where, seconds.
"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

KLAB, ROOT = sys.argv[1], sys.argv[2]
LAB, TIMEOUT = "modules-01", 6
FAULTS = os.path.join(ROOT, "tests", "faults")

def kernel_frames(r):
    """The kernel's own frames link to the source pages when the source index is built
    (`klab xref --build`): do_one_initcall called the learner's init."""
    cache = os.environ.get("KLAB_CACHE") or os.path.expanduser("~/.cache/klab")
    built = any(f.endswith(".db") for f in os.listdir(os.path.join(cache, "xref"))) \
        if os.path.isdir(os.path.join(cache, "xref")) else False
    frames = r["fault"]["kernel_frames"]
    if not built:
        return frames == []
    return any(f["function"] == "do_one_initcall" and f["file"] == "init/main.c" and
               f["url"] == f"/source/init/main.c#L{f['line']}" for f in frames)


def ran(r):
    """The run's time less its lag: what the guest really ran while the host was busy
    (server/lab/lag.c); a deadline counts only that."""
    return r["durations"]["run"] - r["durations"].get("lag", 0)


# variant: (verdict, decoded line or None, extra check on the result, what it proves)
MATRIX = {
    "null-deref": ("fault", 12, kernel_frames, "NULL write in init (kernel frames: source links)"),
    "warn": ("fault", 10, None, "WARN_ON in init"),
    "oops-in-test": ("fault", 20, None, "oops in a test's system call (param getter)"),
    "panic": ("fault", None, lambda r: ran(r) < 3, "panic() in init, ends at once"),
    "hang": ("timeout", None, lambda r: r["step"] == "load:hello", "init never returns"),
    "irqoff-hang": ("timeout", None, lambda r: ran(r) <= TIMEOUT + 2,
                    "spins with interrupts off"),
    "printk-flood": (("timeout", "fail"), None, lambda r: ran(r) <= TIMEOUT + 2,
                     "floods the console with pr_err"),
    "refuse-unload": ("fail", None,
                      lambda r: any(t["name"] == "unload:hello" and not t["ok"] for t in r["tests"]),
                      "takes a reference on itself, never unloads"),
    "syntax": ("build-error", None, lambda r: r["diagnostics"][0]["line"] == 9, "syntax error"),
    # the debug kernel's checkers: each a fault in words, at the learner's line (with the
    # lab's own timeout: the leak check after the unload needs its time)
    "kasan-uaf": ("fault", 29, lambda r: r["fault"]["finding"] == "use-after-free"
                  and "freed at hello.c:28" in r["fault"]["summary"]
                  and "allocated at hello.c:24" in r["fault"]["summary"],
                  "kfree() before list_del(): KASAN use-after-free", None),
    "leak": ("fault", 29, lambda r: r["fault"]["finding"] == "memory leak"
             and r["fault"]["summary"].startswith("memory leak: 16384 bytes allocated at hello.c:29")
             and r["score"] == r["max"], "kmalloc() never freed: kmemleak after the unload", None),
    "atomic-sleep": ("fault", 25, lambda r: r["fault"]["finding"] == "sleeping in atomic context"
                     and "taken at hello.c:24" in r["fault"]["summary"],
                     "kmalloc(GFP_KERNEL) under a spinlock", None),
    "abba": ("fault", 29, lambda r: r["fault"]["finding"] == "possible deadlock (lock order)"
             and "hello.c:19 takes them in the other order" in r["fault"]["summary"],
             "two locks taken in both orders (AB-BA): lockdep", None),
    "strlen-null": ("fault", 21, lambda r: "strlen" in (r["fault"]["context"] or ""),
                    "strlen(NULL) in init: the learner's line, not fortify-string.h", None),
    # the lab's own timeout (30 s): the run must end a test timeout (15 s) after the fault
    "refcount-hang": ("fault", 33, lambda r: r["fault"]["finding"] == "refcount error"
                      and ran(r) <= 15 + 2 + 4,
                      "refcount underflow, then every CPU hangs: ends 15 s after", None),
    "bug-on": ("fault", 15, lambda r: "kernel BUG at " in r["fault"]["title"] and
               r["fault"]["title"].endswith("bug-on/hello.c:15!"),
               "BUG_ON in init: the title names the learner's file, not the build folder's", None),
    "oom-init": ("fail", None, lambda r: "invoked oom-killer" in r["module_log"] and
                 "Out of memory: Killed process" in r["module_log"],
                 "init runs out of memory: the OOM report is in the module's log", None),
    "escape": ("fail", None, lambda r: "\x1b[31mred" in r["module_log"],
               "prints escape sequences (shown defused to a person, below)", None),
}

def qemu_left(tmp):
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return [l for l in out.splitlines() if "qemu-system" in l and tmp in l]


def main():
    failures = []
    home = tempfile.mkdtemp(prefix="klab-faults-home-")
    tmp = tempfile.mkdtemp(prefix="klab-faults-tmp-")
    env = dict(os.environ, KLAB_HOME=home, TMPDIR=tmp, NO_COLOR="1")
    rows = []
    try:
        only = sys.argv[3:]  # optional: the variants to run
        for variant, (want, line, extra, what, *opts) in MATRIX.items():
            if only and variant not in only:
                continue
            timeout = opts[0] if opts else TIMEOUT  # None: the lab's own
            t0 = time.monotonic()
            p = subprocess.run([KLAB, "run", LAB, "--json", "--src", os.path.join(FAULTS, variant)]
                               + (["--timeout", str(timeout)] if timeout else []), env=env,
                               capture_output=True, text=True, timeout=300)
            took = time.monotonic() - t0
            r = json.loads(p.stdout)
            wants = want if isinstance(want, tuple) else (want,)
            fault = r.get("fault") or {}
            ok = r["verdict"] in wants and p.returncode == 1
            if line is not None:
                ok = ok and fault.get("line") == line and fault.get("file", "").endswith(
                    f"{variant}/hello.c")
            if extra is not None:
                ok = ok and extra(r)
            bounded = took < (timeout or 30) + 40
            left = os.listdir(tmp)
            running = qemu_left(tmp)
            where = f"{os.path.basename(fault['file'])}:{fault['line']}" if fault.get("file") else r.get("step") or "-"
            rows.append((variant, r["verdict"], where, took, what))
            for cond, msg in ((ok, f"{variant}: verdict {r['verdict']} ({r['message'][:160]})"),
                              (bounded, f"{variant}: finished in {took:.1f} s"),
                              (not left, f"{variant}: no build folder left ({left})"),
                              (not running, f"{variant}: no QEMU left ({running})")):
                print(("ok   " if cond else "FAIL ") + msg)
                if not cond:
                    failures.append(msg)
        # a person's terminal never gets the guest's escape sequences
        p = subprocess.run([KLAB, "run", LAB, "--no-record", "--src",
                            os.path.join(FAULTS, "escape")], env=env, capture_output=True,
                           text=True, timeout=300)
        good = "^[[31mred^[[0m ^[]0;pwned^G ^[[2J" in p.stdout and "\x1b" not in p.stdout
        print(("ok   " if good else "FAIL ") + "escape: defused in the human output")
        if not good:
            failures.append("escape: defused in the human output")
            print(p.stdout[-3000:])
        db = sqlite3.connect(os.path.join(home, "progress.db"))
        check = db.execute("PRAGMA integrity_check").fetchone()[0]
        n = db.execute("SELECT count(*) FROM attempts").fetchone()[0]
        good = check == "ok" and n == len([v for v in MATRIX if not only or v in only])
        print(("ok   " if good else "FAIL ") + f"progress store intact: {check}, {n} attempts")
        if not good:
            failures.append("progress store")
    finally:
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
    print("\n| variant | what | verdict | where | seconds |\n|---|---|---|---|---|")
    for v, verdict, where, took, what in rows:
        print(f"| {v} | {what} | {verdict} | {where} | {took:.1f} |")
    print(f"\nfaults: {len(failures)} check(s) failed" if failures else "\nfaults: all checks passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
