#!/usr/bin/env python3
"""note_test.py - `klab note new|edit|import|list` and `klab search` over your notes,
without a VM. Every change must be a commit in $KLAB_HOME/notes, read back with git.

    note_test.py KLAB
"""
import os
import shutil
import subprocess
import sys
import tempfile

KLAB = sys.argv[1]
failures = []

HEXO = """---
title: kernel
date: 2015-02-27 15:46:12
category: kernel
tags: kernel
---
#Hacking
entry.S -> do_siganl() { get_signal_deliver() { if fatal -> do_greoup_exit() } }
"""


def check(cond, what, detail=""):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)
        if detail:
            print("     " + str(detail)[:3000])


def main():
    base = tempfile.mkdtemp(prefix="klab-note-")
    home = os.path.join(base, "home")
    notes = os.path.join(home, "notes")
    env = dict(os.environ, KLAB_HOME=home, KLAB_CACHE=os.path.join(base, "cache"),
               NO_COLOR="1", HOME=base, GIT_CONFIG_NOSYSTEM="1")

    def klab(*args, **kw):
        return subprocess.run([KLAB, *args], env=dict(env, **kw), capture_output=True,
                              text=True, timeout=60)

    def git(*args):
        return subprocess.run(["git", "-C", notes, *args], env=env, capture_output=True,
                              text=True).stdout

    try:
        p = klab("note", "new", "Signal", "delivery:", "a", "first", "look")
        path = os.path.join(notes, "signal-delivery-a-first-look.md")
        check(p.returncode == 0 and p.stdout == path + "\n", "new: prints the note's path",
              p.stdout + p.stderr)
        text = open(path).read()
        check(text.startswith('---\ntitle: "Signal delivery: a first look"\ndate: ') and
              "\n---\n# Signal delivery: a first look\n" in text, "new: front matter and heading",
              text)
        check(git("log", "--format=%s").split("\n")[0] == "Add signal-delivery-a-first-look",
              "new: committed", git("log"))

        # edit: the editor (with arguments, through the shell) saves, klab commits on exit
        p = klab("note", "edit", "signal-delivery-a-first-look",
                 EDITOR="sed -i -e 's/first look/second look/'", VISUAL="")
        check(p.returncode == 0 and "committed" in p.stdout, "edit: committed", p.stdout + p.stderr)
        check("second look" in git("show", "HEAD:signal-delivery-a-first-look.md"),
              "edit: the editor's text is in HEAD")
        p = klab("note", "edit", "signal-delivery-a-first-look", EDITOR="true", VISUAL="")
        check(p.returncode == 0 and "unchanged" in p.stdout, "edit: nothing saved, no commit",
              p.stdout)
        p = klab("note", "edit", "signal-delivery-a-frist-look", EDITOR="true", VISUAL="")
        check(p.returncode == 2 and "did you mean `signal-delivery-a-first-look`" in p.stderr,
              "edit: a mistyped name gets did-you-mean", p.stderr)
        p = klab("note", "edit", "../../etc/passwd", EDITOR="true", VISUAL="")
        check(p.returncode == 2 and "not a note name" in p.stderr, "edit: a path is refused",
              p.stderr)

        # import: a folder of Hexo posts, one commit
        src = os.path.join(base, "posts")
        os.makedirs(src)
        with open(os.path.join(src, "kernel-notes.md"), "w") as f:
            f.write(HEXO)
        with open(os.path.join(src, "Other Post.md"), "w") as f:
            f.write("# Other\n")
        n0 = int(git("rev-list", "--count", "HEAD"))
        p = klab("note", "import", src)
        check(p.returncode == 0 and "imported 2 notes" in p.stdout, "import: two notes",
              p.stdout + p.stderr)
        check(int(git("rev-list", "--count", "HEAD")) == n0 + 1, "import: one commit")
        check(open(os.path.join(notes, "kernel-notes.md")).read() == HEXO,
              "import: the text as it was")
        check(os.path.exists(os.path.join(notes, "other-post.md")), "import: a name made a slug")

        # another editor writes a file: the next klab note command commits it
        with open(os.path.join(notes, "from-vim.md"), "w") as f:
            f.write("# From vim\n")
        p = klab("note", "list")
        lines = p.stdout.splitlines()
        check(p.returncode == 0 and len(lines) == 4 and lines[0].startswith("from-vim ") and
              lines[0].endswith("From vim") and lines[1].startswith("kernel-notes "),
              "list: every note, by name, with its title", p.stdout)
        check(git("log", "-1", "--format=%s").strip() == "Pick up changes made outside klab" and
              git("status", "--porcelain") == "", "outside edits are committed")

        # search covers them, marked mine
        p = klab("search", "do_greoup_exit")
        check(p.returncode == 0 and "[mine kernel-notes]" in p.stdout, "search: mine",
              p.stdout + p.stderr)
        p = klab("note", "import", os.path.join(base, "nosuch"))
        check(p.returncode == 2 and "cannot read the folder" in p.stderr,
              "import: a missing folder says so", p.stderr)
        check(subprocess.run(["git", "-C", notes, "fsck", "--strict"], env=env,
                             capture_output=True).returncode == 0, "git fsck")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(f"note: {len(failures)} check(s) failed" if failures else "note: all checks passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
