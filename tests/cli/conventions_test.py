#!/usr/bin/env python3
"""conventions_test.py - klab's command-line conventions, without booting a VM.

    conventions_test.py KLAB ROOT

--version; `klab help CMD` and `klab CMD --help` explain every option the
command accepts; a wrong option gives the usage; "did you mean" for commands
and labs; `klab list` in curriculum order with a progress line and the next
step; hints rendered for a terminal; `klab log` with and without attempts.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

KLAB, ROOT = sys.argv[1], sys.argv[2]
failures = []


def check(cond, what, detail=""):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)
        if detail:
            print("     " + str(detail)[:3000])


def klab(env, *args):
    return subprocess.run([KLAB, *args], env=env, capture_output=True, text=True, timeout=60)


# The options each command's parser accepts, read from its source: the help must name them all.
def options_in_source(cmd):
    src = open(os.path.join(ROOT, "server", "cli", cmd + ".c")).read()
    opts = set(re.findall(r'\{ "([a-z-]+)", (?:no|required)_argument', src))
    opts |= set(re.findall(r'strcmp\(argv\[i\], "--([a-z-]+)"\)', src))
    return opts - {"help"}


def curriculum():
    """Lab ids in the order the notes teach them, from the front matter."""
    notes = []
    for f in os.listdir(os.path.join(ROOT, "notes")):
        if not f.endswith(".md"):
            continue  # notes/examples/: the notes' programs
        text = open(os.path.join(ROOT, "notes", f)).read()
        order = int(re.search(r"^order: (\d+)", text, re.M).group(1))
        topic = re.search(r"^topic: (\S+)", text, re.M).group(1)
        labs = re.search(r"^labs: \[(.*)\]", text, re.M)
        notes.append((order, topic, [l.strip() for l in labs.group(1).split(",") if l.strip()]
                                     if labs else []))
    notes.sort()
    ranks = {}
    for lab in os.listdir(os.path.join(ROOT, "labs")):
        readme = os.path.join(ROOT, "labs", lab, "README.md")
        if not os.path.exists(readme):
            continue
        topic = re.search(r"^topic: (\S+)", open(readme).read(), re.M).group(1)
        for i, (_, t, labs) in enumerate(notes):
            if t == topic:
                ranks[lab] = (i, labs.index(lab) if lab in labs else 1 << 30, lab)
    return [r[2] for r in sorted(ranks.values())]


def main():
    home = tempfile.mkdtemp(prefix="klab-conv-")
    env = dict(os.environ, KLAB_HOME=home, NO_COLOR="1")
    try:
        p = klab(env, "--version")
        check(p.returncode == 0 and re.match(r"klab \d+\.\d+\.\d+\n", p.stdout), "--version", p)

        p = klab(env, "help")
        check(p.returncode == 0 and all(c in p.stdout for c in ("run", "list", "log", "watch")),
              "help lists the commands", p.stdout)
        for cmd in ("run", "list", "watch", "hint", "log", "reset", "doctor", "serve", "search",
                    "check"):
            a, b = klab(env, "help", cmd), klab(env, cmd, "--help")
            check(a.returncode == 0 and a.stdout == b.stdout and f"klab {cmd}" in a.stdout,
                  f"`klab help {cmd}` and `klab {cmd} --help` agree", (a, b))
            missing = [o for o in options_in_source(cmd) if "--" + o not in a.stdout]
            check(not missing, f"help {cmd}: explains every option", missing)
        p = klab(env, "run", "-h")
        check(p.returncode == 0 and "--no-overlap" in p.stdout, "run -h is help too")

        for args in (("run", "modules-01", "--frobnicate"), ("list", "--frob"),
                     ("watch", "--frob", "modules-01"), ("hint", "modules-01", "--x"),
                     ("log", "modules-01", "--x"), ("doctor", "--x"), ("search", "--x", "y"),
                     ("serve", "--x"), ("reset", "--x")):
            p = klab(env, *args)
            check(p.returncode == 2 and "usage: klab " + args[0] in p.stderr
                  and f"klab help {args[0]}" in p.stderr,
                  f"klab {' '.join(args)}: a wrong option gives the usage", p.stderr)
        p = klab(env, "run", "modules-01", "--timeout")
        check(p.returncode == 2 and "needs a value" in p.stderr, "run --timeout without a value",
              p.stderr)
        p = klab(env, "run")
        check(p.returncode == 2 and "usage: klab run" in p.stderr, "run without a lab", p.stderr)

        p = klab(env, "rn", "modules-01")
        check(p.returncode == 2 and "did you mean `klab run`" in p.stderr, "klab rn: did you mean",
              p.stderr)
        p = klab(env, "lsit")
        check(p.returncode == 2 and "did you mean `klab list`" in p.stderr,
              "klab lsit: did you mean (swapped letters)", p.stderr)
        p = klab(env, "frobnicate")
        check(p.returncode == 2 and "did you mean" not in p.stderr and "commands:" in p.stderr,
              "a command nothing like any: the list", p.stderr)
        for cmd in ("run", "hint", "reset", "watch", "log"):
            p = klab(env, cmd, "signal-01")
            check(p.returncode == 2 and "did you mean `signals-01`" in p.stderr,
                  f"klab {cmd} signal-01: did you mean signals-01", p.stderr)
        p = klab(env, "run", "zzzz-99")
        check(p.returncode == 2 and "klab list" in p.stderr and "did you mean" not in p.stderr,
              "an unknown lab nothing like any", p.stderr)

        # list: curriculum order, titles, a progress line, the next step
        p = klab(env, "list")
        rows = [l.split()[0] for l in p.stdout.splitlines()[1:] if l and l.split()[0] in
                curriculum()]
        check(rows == curriculum(), "list: curriculum order (the notes' order)",
              (rows, curriculum()))
        check("Your first module" in p.stdout, "list: titles", p.stdout)
        total = len(curriculum())
        check(f"progress: 0 of {total} labs passed" in p.stdout and
              f"next: {curriculum()[0]}" in p.stdout and f"klab run {curriculum()[0]}" in p.stdout,
              "list: progress line and next step", p.stdout)
        js = json.loads(klab(env, "list", "--json").stdout)
        check([l["id"] for l in js] == curriculum(), "list --json: same order")

        # hints: Markdown rendered for a terminal
        p = klab(env, "hint", "modules-01")
        check(p.returncode == 0 and "## " not in p.stdout and "Hint 1\n------" in p.stdout,
              "hint: heading rendered, not raw Markdown", p.stdout)
        check(all(len(l) <= 80 for l in p.stdout.splitlines() if "`" not in l),
              "hint: wrapped at 80 columns", p.stdout)
        env_c = dict(env)
        env_c.pop("NO_COLOR")
        # colour only on a terminal: through a pipe there is none
        p = klab(env_c, "hint", "modules-01", "--again")
        check("\033[" not in p.stdout, "hint: no escape sequences into a pipe", p.stdout)

        # log without attempts (with attempts: tests/lab/cli_test.py, after real runs)
        p = klab(env, "log", "modules-01")
        check(p.returncode == 0 and "no attempt yet" in p.stdout, "log: no attempts yet", p.stdout)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(f"conventions: {len(failures)} check(s) failed" if failures else
          "conventions: all checks passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
