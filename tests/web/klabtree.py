"""klabtree.py - a throwaway klab tree and a running `klab serve` for the web tests.

The tree is a temporary KLAB_ROOT: the repository's static/, kernels/ and
labs/modules-01 plus notes written here (the real notes are being written by
someone else and are not what these tests check), committed to a git
repository twice so the history pages have something to show. KLAB_HOME gets
a progress store with two attempts of modules-01 and an attempts repository
with their sources, as `klab run` would leave them. Only the standard library.
"""
import argparse
import http.client
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

ALPHA = """---
title: Alpha locks
topic: alpha
order: 1
labs: [modules-01, nosuch-01]
tags: [locking, testing]
---
# Alpha locks

Take `spin_lock_irqsave()` when an interrupt handler shares the data.

## Why it matters

Read [beta](beta.md#the-details), then do [the lab](lab:modules-01).
A [gone lab](lab:gone-01) and a [lost note](lost.md) are broken links.

![Diagram]({diagram})

### A table

| call | context |
|------|---------|
| `spin_lock` | process |

## Code

```c
/* a comment */
static int count = 0x10;
int main(void) {{ return printf("hi\\n"); }}
```
"""

BETA = """---
title: Beta waits
topic: beta
order: 2
tags: [waiting]
---
# Beta waits

## The details

A wait queue sleeps until `wait_event()` sees its condition.

## Exercises

1. What does `wait_event()` do when the condition is already true?

   <details>
   <summary>Answer</summary>

   It returns at once: the condition is tested before the task sleeps.

   </details>
"""

EVIL = """---
title: "Evil <script>alert('title')</script>"
topic: evil
order: 3
tags: ["<img src=x onerror=alert(2)>"]
---
# Evil

<script>alert(1)</script>

<img src=x onerror=alert(1)>

Inline <span onmouseover="alert(3)">hover</span> and [click](javascript:alert(4)).

[data](data:text/html;base64,PHNjcmlwdD5hbGVydCg1KTwvc2NyaXB0Pg==)

Code: `<script>alert(6)</script>` stays text. evilword

<details open ontoggle="alert(7)">
<summary>Answer</summary>

folded

</details>

<details>
<summary><img src=x onerror=alert(8)></summary>

also folded

</details>
"""

HELLO_V1 = "#include <linux/module.h>\nMODULE_LICENSE(\"GPL\");\n"
HELLO_V2 = HELLO_V1 + "static int count = 1;\nmodule_param(count, int, 0444);\n"

SECRET = "TOPSECRET-klab-web-test"


def _git(args, cwd, env):
    return subprocess.run(["git"] + args, cwd=cwd, env=env, check=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True).stdout.strip()


def lab_max(src, lab):
    """The full score of a lab: the sum of the points in its README's front matter."""
    text = open(os.path.join(src, "labs", lab, "README.md")).read()
    block = re.search(r"^points:\n((?:  \S+: \d+\n)+)", text, re.M)
    return sum(int(n) for n in re.findall(r": (\d+)$", block.group(1), re.M))


class Tree:
    """A temporary root and home; remove() deletes both."""

    def __init__(self, src, bindir):
        self.base = tempfile.mkdtemp(prefix="klab-web-")
        self.modules_max = lab_max(src, "modules-01")
        self.root = os.path.join(self.base, "root")
        self.home = os.path.join(self.base, "home")
        self.cache = os.path.join(self.base, "cache")
        os.makedirs(self.home)
        os.makedirs(self.cache)
        os.makedirs(os.path.join(self.root, "labs"))
        shutil.copytree(os.path.join(src, "static"), os.path.join(self.root, "static"))
        shutil.copytree(os.path.join(src, "kernels"), os.path.join(self.root, "kernels"))
        shutil.copytree(os.path.join(src, "labs", "modules-01"),
                        os.path.join(self.root, "labs", "modules-01"))
        diagrams = os.path.join(bindir, "diagrams")
        svgs = sorted(f for f in os.listdir(diagrams) if f.endswith(".svg")) \
            if os.path.isdir(diagrams) else []
        self.diagram = svgs[0] if svgs else None
        notes = os.path.join(self.root, "notes")
        os.makedirs(notes)
        self.write("notes/alpha.md", ALPHA.format(
            diagram="/static/diagrams/" + (self.diagram or "none.svg")))
        self.write("notes/beta.md", BETA)
        # Things no request may ever reach.
        self.write("SECRET.txt", SECRET + "\n")
        self.write("static/.hidden", SECRET + "\n")
        os.symlink("/etc/passwd", os.path.join(self.root, "static", "evil-link"))
        os.symlink("/etc", os.path.join(self.root, "static", "evil-dir"))
        os.symlink(os.path.join(self.root, "SECRET.txt"),
                   os.path.join(self.root, "static", "secret-link.txt"))
        self.env = dict(os.environ, KLAB_ROOT=self.root, KLAB_HOME=self.home,
                        KLAB_CACHE=self.cache, NO_COLOR="1",
                        GIT_AUTHOR_NAME="Test Author", GIT_AUTHOR_EMAIL="t@example.com",
                        GIT_COMMITTER_NAME="Test Author",
                        GIT_COMMITTER_EMAIL="t@example.com",
                        GIT_CONFIG_NOSYSTEM="1", HOME=self.base, LC_ALL="C")
        self.env.pop("GIT_DIR", None)
        _git(["init", "-q", "-b", "main"], self.root, self.env)
        _git(["add", "-A"], self.root, self.env)
        _git(["commit", "-q", "-m", "First notes"], self.root, self.env)
        self.write("notes/alpha.md", ALPHA.format(
            diagram="/static/diagrams/" + (self.diagram or "none.svg")) +
            "\n## Later\n\nAdded in the second commit.\n")
        self.write("notes/evil.md", EVIL)
        _git(["add", "-A"], self.root, self.env)
        _git(["commit", "-q", "-m", "Alpha: a later section <b>bold</b>"], self.root, self.env)
        self.commits = _git(["log", "--format=%H", "--", "notes/alpha.md"],
                            self.root, self.env).split()
        self._progress()

    def write(self, rel, text):
        path = os.path.join(self.root, rel)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)

    def _progress(self):
        """Two attempts of modules-01 with their sources committed, as klab run leaves them."""
        git_dir = os.path.join(self.home, "attempts.git")
        _git(["init", "-q", "--bare", git_dir], self.home, self.env)
        commits = []
        parent = None
        for text in (HELLO_V1, HELLO_V2):
            blob = subprocess.run(["git", "--git-dir", git_dir, "hash-object", "-w", "--stdin"],
                                  input=text, env=self.env, check=True, text=True,
                                  stdout=subprocess.PIPE).stdout.strip()
            tree = subprocess.run(["git", "--git-dir", git_dir, "mktree"],
                                  input="100644 blob %s\thello.c\n" % blob, env=self.env,
                                  check=True, text=True, stdout=subprocess.PIPE).stdout.strip()
            args = ["git", "--git-dir", git_dir, "commit-tree", tree, "-m", "attempt"]
            if parent:
                args += ["-p", parent]
            parent = subprocess.run(args, env=self.env, check=True, text=True,
                                    stdout=subprocess.PIPE).stdout.strip()
            commits.append(parent)
        _git(["--git-dir", git_dir, "update-ref", "refs/heads/modules-01", parent],
             self.home, self.env)
        db = sqlite3.connect(os.path.join(self.home, "progress.db"))
        db.executescript("""
            CREATE TABLE attempts(id INTEGER PRIMARY KEY, lab TEXT NOT NULL,
              started_at INTEGER NOT NULL, duration_ms INTEGER NOT NULL, verdict TEXT NOT NULL,
              score INTEGER NOT NULL, max_score INTEGER NOT NULL, kernel TEXT, commit_id TEXT,
              source TEXT);
            CREATE TABLE attempt_tests(attempt_id INTEGER NOT NULL, seq INTEGER NOT NULL,
              name TEXT NOT NULL, ok INTEGER NOT NULL, points INTEGER NOT NULL,
              max_points INTEGER NOT NULL, diagnostic TEXT, PRIMARY KEY(attempt_id, seq));
            CREATE TABLE hints(lab TEXT PRIMARY KEY, shown INTEGER NOT NULL);
        """)
        now = int(time.time())
        full = self.modules_max
        db.execute("INSERT INTO attempts VALUES(1,'modules-01',?,4200,'fail',5,?,'cloud',?,'x')",
                   (now - 3600, full, commits[0]))
        db.execute("INSERT INTO attempts VALUES(2,'modules-01',?,3900,'pass',?,?,'cloud',?,'x')",
                   (now - 60, full, full, commits[1]))
        db.commit()
        db.close()

    def remove(self):
        shutil.rmtree(self.base, ignore_errors=True)


class Server:
    """`klab serve --port 0` on 127.0.0.1 for a tree; stop() ends it with SIGTERM."""

    def __init__(self, klab, tree, extra=()):
        self.log_path = os.path.join(tree.base, "serve-%d.log" % time.monotonic_ns())
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([klab, "serve", "--port", "0"] + list(extra),
                                     env=tree.env, stdout=subprocess.PIPE,
                                     stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        m = re.match(r"klab: serving http://([0-9.]+):([0-9]+)/$", line.strip())
        if not m:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("klab serve did not start: %r\n%s" % (line, self.stderr()))
        self.host, self.port = m.group(1), int(m.group(2))
        self.url = "http://%s:%d" % (self.host, self.port)

    def request(self, path, method="GET", headers=None, body=None, conn=None):
        """Sends path exactly as given (no normalisation); returns (status, headers, body)."""
        own = conn is None
        c = conn or http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            # a Host given replaces http.client's own (never two Host headers)
            c.putrequest(method, path, skip_accept_encoding=True,
                         skip_host=any(k.lower() == "host" for k in (headers or {})))
            for k, v in (headers or {}).items():
                c.putheader(k, v)
            if body is not None:
                c.putheader("Content-Length", str(len(body)))
            c.endheaders(body)
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            if own:
                c.close()

    def stop(self, timeout=10):
        """SIGTERM, then the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = "killed after %ss" % timeout
        self.proc.stdout.close()
        self.log.close()
        return rc

    def stderr(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()


def stop_clean(srv, rc):
    """Stops srv (may be None); rc, or 1 when the server failed or a sanitizer spoke."""
    if not srv:
        return rc
    status = srv.stop()
    log = srv.stderr()
    if status != 0 or "Sanitizer" in log or "runtime error:" in log:
        print("klab serve: exit %r\n%s" % (status, log[-6000:]))
        return rc or 1
    return rc


CHROMIUM = "/usr/bin/chromium"


def browser_tools(here):
    """node's path when node, playwright-core (npm install in here) and Chromium are all
    there, else None (the browser tests are then skipped)."""
    node = shutil.which("node")
    if not node or not os.path.isdir(os.path.join(here, "node_modules", "playwright-core")) \
            or not os.access(CHROMIUM, os.X_OK):
        print("skipped: needs node, %s and `npm install` in tests/web (make setup does it)"
              % CHROMIUM)
        return None
    return node


def test_args():
    """--klab and --src of a unittest script (klab made absolute), and the argv left for
    unittest.main."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--klab", required=True)
    ap.add_argument("--src", required=True)
    args, rest = ap.parse_known_args()
    args.klab = os.path.abspath(args.klab)
    return args, [sys.argv[0]] + rest


def browser_main(script, make_tree, prepare=None, check=None, timeout=240):
    """The main of a real-browser test: --klab, --src, --shots; exits 77 (skipped) without
    node, playwright-core or Chromium. Serves make_tree(src, bindir) (with .base, .env,
    .remove()) and runs the node script (BASE_URL SHOT_DIR CHROMIUM PROFILE) against it.
    prepare(args, tree) may set the tree up first (non-zero: fail); check(tree), run when
    the script passed, returns the exit status. Prints the count line ctest shows."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--klab", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--shots", required=True)
    args = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    node = browser_tools(here)
    if not node:
        return 77
    args.klab = os.path.abspath(args.klab)
    shots = os.path.abspath(args.shots)
    os.makedirs(shots, exist_ok=True)
    tree = make_tree(args.src, os.path.dirname(args.klab))
    srv = None
    rc = 1
    try:
        if prepare and prepare(args, tree) != 0:
            return 1
        srv = Server(args.klab, tree)
        p = subprocess.run([node, os.path.join(here, script), srv.url, shots, CHROMIUM,
                            os.path.join(tree.base, "chromium-profile")],
                           cwd=here, timeout=timeout)
        rc = p.returncode
        if rc == 0 and check:
            rc = check(tree)
    finally:
        rc = stop_clean(srv, rc)
        tree.remove()
    print("1 passed, 0 failed" if rc == 0 else "0 passed, 1 failed")
    return rc
