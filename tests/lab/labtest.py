#!/usr/bin/env python3
"""labtest.py - end-to-end test of one lab through the real `klab run`.

    labtest.py KLAB ROOT LAB [VARIANT...]

Proves, each against a fresh $KLAB_HOME:
  1. the skeleton (labs/LAB) builds and gets verdict `fail` with a score below the maximum;
  2. the reference solution (tests/solutions/LAB) gets `pass` with the full score;
  3. every wrong variant does not pass: tests/wrong/LAB/<variant>/change.patch is
     the mistake, as a patch on the reference solution, and its `expect` file names
     the verdict (first line; `fail|fault` for a race that may show either way, the
     tests named then having to fail under the first) and, on later lines, tests
     that must fail. A line
     `base: skeleton` in `expect` applies the patch to the skeleton instead (for
     forgeries: the untouched skeleton plus code that lies about its results).
Naming variants runs only those (and skips 1 and 2).
Prints one line per check and exits non-zero on the first failure.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


def run(klab, lab, src=None, extra=(), home=None):
    cmd = [klab, "run", lab, "--json"] + list(extra)
    if src:
        cmd += ["--src", src]
    env = dict(os.environ, NO_COLOR="1")
    with tempfile.TemporaryDirectory(prefix="klab-home-") as tmp:
        env["KLAB_HOME"] = home or tmp
        t0 = time.monotonic()
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        took = time.monotonic() - t0
    try:
        res = json.loads(p.stdout)
    except json.JSONDecodeError:
        sys.exit(f"FAIL {' '.join(cmd)}: no JSON (exit {p.returncode})\n{p.stdout}\n{p.stderr}")
    res["_exit"] = p.returncode
    res["_took"] = took
    return res


def describe(res):
    failed = [f"{t['name']}: {t['diagnostic']}" for t in res["tests"] if not t["ok"]]
    return (f"verdict={res['verdict']} score={res['score']}/{res['max']} "
            f"message={res['message']!r} failed={failed}")


def expect(cond, what, res):
    if not cond:
        sys.exit(f"FAIL {what}\n  {describe(res)}")
    print(f"ok   {what} ({res['_took']:.1f} s)")


def main():
    klab, root, lab = sys.argv[1:4]
    only = sys.argv[4:]
    if not only:
        skel = run(klab, lab, src=os.path.join(root, "labs", lab))
        expect(skel["verdict"] == "fail" and skel["score"] < skel["max"] and skel["_exit"] == 1,
               f"{lab}: skeleton builds and fails", skel)
        sol = run(klab, lab, src=os.path.join(root, "tests", "solutions", lab))
        expect(sol["verdict"] == "pass" and sol["score"] == sol["max"] and sol["_exit"] == 0,
               f"{lab}: reference solution passes with {sol['max']}/{sol['max']}", sol)
    wrong_dir = os.path.join(root, "tests", "wrong", lab)
    variants = sorted(os.listdir(wrong_dir)) if os.path.isdir(wrong_dir) else []
    if not variants:
        sys.exit(f"FAIL {lab}: no wrong variants in {wrong_dir}")
    for v in only:
        if v not in variants:
            sys.exit(f"FAIL {lab}: no wrong variant {v} in {wrong_dir}")
    for v in only or variants:
        vdir = os.path.join(wrong_dir, v)
        with open(os.path.join(vdir, "expect")) as f:
            lines = [l.strip() for l in f if l.strip() and not l.startswith("#")]
        base = "solution"
        if lines and lines[0].startswith("base:"):
            base = lines.pop(0).split(":", 1)[1].strip()
        if base not in ("solution", "skeleton"):
            sys.exit(f"FAIL {lab}: {v}/expect: `base: {base}` is neither solution nor skeleton")
        want, must_fail = lines[0], lines[1:]
        base_dir = (os.path.join(root, "tests", "solutions", lab) if base == "solution"
                    else os.path.join(root, "labs", lab))
        with tempfile.TemporaryDirectory(prefix=f"klab-{lab}-{v}-") as src:
            shutil.copytree(base_dir, src, dirs_exist_ok=True)
            with open(os.path.join(vdir, "change.patch")) as patch:
                p = subprocess.run(["patch", "-s", "-p1", "-d", src], stdin=patch,
                                   capture_output=True, text=True)
            if p.returncode != 0:
                sys.exit(f"FAIL {lab}: {v}/change.patch does not apply to the {base}:\n"
                         f"{p.stdout}{p.stderr}")
            res = run(klab, lab, src=src)
        failed = {t["name"] for t in res["tests"] if not t["ok"]}
        # `fail|fault`: a race may show either way; the tests named must fail under the first
        wants = want.split("|")
        missing = [t for t in must_fail if t not in failed] if res["verdict"] == wants[0] else []
        expect(res["verdict"] in wants and res["_exit"] != 0 and not missing,
               f"{lab}: wrong variant {v} gets {want}"
               + (f" failing {', '.join(must_fail)}" if must_fail else ""), res)


if __name__ == "__main__":
    main()
