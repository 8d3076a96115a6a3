#!/usr/bin/env python3
"""check_test.py - end-to-end tests of `klab check` through the real program.

    check_test.py KLAB SOURCE_ROOT index      build the kernel source index (once)
    check_test.py KLAB SOURCE_ROOT notes      the real notes/ pass
    check_test.py KLAB SOURCE_ROOT fixtures   a copy of tests/check/fixtures fails with
                                              exactly the expected file:line problems
    check_test.py KLAB SOURCE_ROOT seed       a learner's note (tests/check/seed, a copy of
                                              the study notes klab grew from): its Hexo
                                              front matter passes, its misspelt names in
                                              prose are flagged with the real ones

The fixture run copies tests/check/fixtures (labs/, notes/, static/) and the kernel
profiles (kernels/*.yaml) into a temporary root and points KLAB_ROOT at it. The
kernel index and the fetched kernel come from the usual $KLAB_CACHE.
Prints one line per check and exits non-zero on the first failure.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

# (file, line, kind, text the message must contain): every problem the fixture has.
EXPECTED = [
    ("notes/bad.md", 5, "lab", "`nosuch-01`"),
    ("notes/bad.md", 14, "identifier", "`__send_signal()` is not in the 6.1 kernel"),
    ("notes/bad.md", 16, "identifier", "`struct task_structure` is not defined"),
    ("notes/bad.md", 18, "link", "there is no lab `nosuch-02`"),
    ("notes/bad.md", 20, "anchor", "good.md has no heading with anchor `no-such-heading`"),
    ("notes/bad.md", 22, "identifier", "`CLONE_EVERYTHING` is not defined"),
    ("notes/bad.md", 22, "identifier", "`kernel/nosuch.c` is not a file"),
    ("notes/bad.md", 26, "identifier", "`no_such_helper()` is not in the 6.1 kernel"),
    ("labs/fix-02/README.md", 1, "coverage", "lab `fix-02` is not linked from any note"),
]


def fail(msg):
    print("FAIL " + msg)
    sys.exit(1)


def run(klab, args, root=None, cwd=None, timeout=900):
    env = dict(os.environ, NO_COLOR="1")
    if root:
        env["KLAB_ROOT"] = root
    t0 = time.monotonic()
    p = subprocess.run([klab, "check"] + args, env=env, cwd=cwd, capture_output=True,
                       text=True, timeout=timeout)
    return p, time.monotonic() - t0


def show(p):
    return f"(exit {p.returncode})\n--- stdout\n{p.stdout}--- stderr\n{p.stderr}"


def match(problems):
    """Pairs each expected problem with a reported one; returns (missing, unexpected)."""
    left = list(problems)
    missing = []
    for file, line, kind, text in EXPECTED:
        for i, (f, l, k, m) in enumerate(left):
            if f == file and l == line and k == kind and text in m:
                del left[i]
                break
        else:
            missing.append((file, line, kind, text))
    return missing, left


def check_index(klab, src):
    p, took = run(klab, ["--index"], timeout=1150)  # the whole source index, sanitized
    if p.returncode != 0:
        fail(f"klab check --index: the kernel source index cannot be built {show(p)}")
    print(f"ok   index: {p.stdout.strip()} ({took:.1f} s)")


def check_notes(klab, src):
    p, took = run(klab, [], root=src)
    if p.returncode != 0:
        fail(f"klab check on the real notes/ reports problems {show(p)}")
    print(f"ok   notes: {p.stdout.strip().splitlines()[-1]} ({took:.1f} s)")


def check_fixtures(klab, src):
    fixtures = os.path.join(src, "tests", "check", "fixtures")
    with tempfile.TemporaryDirectory(prefix="klab-check-") as root:
        for sub in ("labs", "notes", "static"):
            shutil.copytree(os.path.join(fixtures, sub), os.path.join(root, sub))
        shutil.copytree(os.path.join(src, "kernels"), os.path.join(root, "kernels"),
                        ignore=shutil.ignore_patterns("*.md"))

        # text output: file:line: message, then the summary line
        p, took = run(klab, [], root=root)
        if p.returncode != 1:
            fail(f"klab check on the fixtures should exit 1 {show(p)}")
        lines = p.stdout.splitlines()
        if not lines or not lines[-1].startswith("klab check: 9 problems in 2 notes"):
            fail(f"the summary line should count 9 problems in 2 notes {show(p)}")
        for file, line, kind, text in EXPECTED:
            prefix = f"{file}:{line}: "
            if not any(l.startswith(prefix) and text in l for l in lines):
                fail(f"no `{prefix}...{text}` line {show(p)}")
        print(f"ok   fixtures: {len(EXPECTED)} problems reported as file:line ({took:.1f} s)")

        # JSON: the same problems and nothing else
        p, _ = run(klab, ["--json"], root=root)
        if p.returncode != 1:
            fail(f"klab check --json on the fixtures should exit 1 {show(p)}")
        try:
            got = json.loads(p.stdout)
        except json.JSONDecodeError as e:
            fail(f"klab check --json printed no JSON array: {e} {show(p)}")
        problems = [(x["file"], x["line"], x["kind"], x["message"]) for x in got]
        missing, unexpected = match(problems)
        if missing or unexpected:
            fail(f"--json: missing {missing}, unexpected {unexpected}")
        print("ok   fixtures: --json gives exactly the expected problems")

        # one file, given relative to the current folder: checked alone, no coverage
        p, _ = run(klab, ["notes/good.md"], root=root, cwd=root)
        if p.returncode != 0:
            fail(f"klab check notes/good.md should pass (a false alarm?) {show(p)}")
        p, _ = run(klab, ["notes/bad.md"], root=root, cwd=root)
        if p.returncode != 1 or "labs/fix-02" in p.stdout:
            fail(f"klab check notes/bad.md should fail without the coverage problem {show(p)}")
        print("ok   fixtures: FILE arguments")

        # a missing kernel source says what fixes it
        p, _ = run(klab, ["--source", os.path.join(root, "linux-source-6.1.tar.xz")], root=root)
        if p.returncode != 2 or "make setup" not in p.stderr:
            fail(f"a missing kernel source should exit 2 and name `make setup` {show(p)}")
        p, _ = run(klab, ["--help"], root=root)
        if p.returncode != 0 or "`struct x`" not in p.stdout:
            fail(f"klab check --help should list the rules {show(p)}")
        print("ok   fixtures: missing source, --help")


# (line, name, suggestion) the seed note must show: the two, and the rest it has.
SEED = [
    (120, "signal_sturct", "signal_struct"),
    (128, "__send_signal", "__send_signal_locked"),
    (132, "_send_signal", None),
    (138, "do_siganl", None),
    (140, "get_signal_deliver", "get_signal"),
    (142, "do_greoup_exit", "do_group_exit"),
]


def check_seed(klab, src):
    note = os.path.join(src, "tests", "check", "seed", "kernel-notes.md")
    with tempfile.TemporaryDirectory(prefix="klab-check-") as tmp:
        # a learner's note lives outside the course's notes/, anywhere
        mine = os.path.join(tmp, "kernel-notes.md")
        shutil.copy(note, mine)
        p, took = run(klab, [mine], root=src, cwd=tmp)
        if p.returncode != 1:
            fail(f"klab check on the seed note should exit 1 (it has misspelt names) {show(p)}")
        lines = p.stdout.splitlines()
        if any("frontmatter" in l or "front matter" in l for l in lines):
            fail(f"the seed's Hexo front matter (date, category, tags: kernel) gave errors {show(p)}")
        for line, name, sug in [(140, "get_signal_deliver", "get_signal"),
                                (142, "do_greoup_exit", "do_group_exit")]:
            want = f"{mine}:{line}: `{name}()` is not in the 6.1 kernel"
            hit = [l for l in lines if l.startswith(want)]
            if not hit or not hit[0].endswith(f"did you mean `{sug}`?"):
                fail(f"no `{want}...did you mean `{sug}`?` line {show(p)}")
        print(f"ok   seed: get_signal_deliver and do_greoup_exit flagged with suggestions ({took:.1f} s)")

        p, _ = run(klab, ["--json", mine], root=src, cwd=tmp)
        try:
            got = json.loads(p.stdout)
        except json.JSONDecodeError as e:
            fail(f"klab check --json printed no JSON array: {e} {show(p)}")
        found = [(x["line"], x["name"], x["suggestion"]) for x in got if x["kind"] == "identifier"]
        if sorted(found) != sorted(SEED) or len(got) != len(SEED):
            fail(f"--json: found {found}, expected exactly {SEED}; all: {got}")
        print(f"ok   seed: --json has exactly {len(SEED)} identifiers, each with its suggestion or null")

        # the course's rules still hold inside notes/: the same file there needs its keys
        notes = os.path.join(tmp, "root", "notes")
        for sub in ("labs", "kernels"):
            shutil.copytree(os.path.join(src, sub), os.path.join(tmp, "root", sub))
        os.makedirs(notes)
        shutil.copy(note, os.path.join(notes, "kernel-notes.md"))
        p, _ = run(klab, ["notes/kernel-notes.md"], root=os.path.join(tmp, "root"),
                   cwd=os.path.join(tmp, "root"))
        if p.returncode != 1 or "front matter needs `topic:`" not in p.stdout:
            fail(f"a note under notes/ must still have the course's front matter {show(p)}")
        print("ok   seed: under notes/ the course's front matter is still required")


def main():
    if len(sys.argv) != 4 or sys.argv[3] not in ("index", "notes", "fixtures", "seed"):
        sys.exit(__doc__)
    klab, src, what = sys.argv[1:]
    {"index": check_index, "notes": check_notes, "fixtures": check_fixtures,
     "seed": check_seed}[what](klab, src)


if __name__ == "__main__":
    main()
