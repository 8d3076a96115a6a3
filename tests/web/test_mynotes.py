#!/usr/bin/env python3
"""test_mynotes.py - your own notes in `klab serve`, end to end, and the server's guard.

A real `klab serve --port 0` over a throwaway tree (klabtree.py), asked with raw HTTP:
- /my/new, /my/NAME/edit save as commits in $KLAB_HOME/notes (read back with git),
  /my/NAME, its history and diffs, the home page's "My notes", search marks them `mine`;
  a file written there by another editor is committed on the file watch's next request;
- every route answers 421 to a Host that is not the bound address;
- a POST without the token, with another token, from another origin or with no origin
  is refused (403) and writes nothing; on a non-loopback bind every POST is 403 and the
  pages are read-only;
- klab serve killed (SIGKILL) at points all through a save (the sanitized build's
  KLAB_TEST_SAVE_PAUSE_MS hook spreads the save's steps out): `git fsck --strict` passes,
  the note holds the old or the new text whole, and after the next klab command HEAD
  holds what the file holds.

usage: test_mynotes.py --klab PATH/TO/klab --src SOURCE_DIR
"""
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import klabtree  # noqa: E402

ARGS = None
TOKEN_RE = re.compile(r'name="token" value="([0-9a-f]{64})"')


def git(tree, *args):
    return subprocess.run(["git", "-C", os.path.join(tree.home, "notes")] + list(args),
                          env=tree.env, check=True, text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE).stdout


def commits(tree):
    """Commits on HEAD; 0 while there are none (or no repository yet)."""
    r = subprocess.run(["git", "-C", os.path.join(tree.home, "notes"), "rev-list", "--count",
                        "HEAD"], env=tree.env, text=True, stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL)
    return int(r.stdout.strip()) if r.returncode == 0 else 0


def read(path, **kw):
    with open(path, **kw) as f:
        return f.read()


def form(**fields):
    return urllib.parse.urlencode(fields).encode()


class Client:
    """Requests to a server with the headers a browser on its own page sends."""

    def __init__(self, srv):
        self.srv = srv
        self.origin = "http://127.0.0.1:%d" % srv.port

    def get(self, path, headers=None):
        return self.srv.request(path, headers=headers)

    def token(self, path="/my/new"):
        st, _, body = self.get(path)
        assert st == 200, (path, st, body[:300])
        return TOKEN_RE.search(body.decode()).group(1)

    def post(self, path, body, headers=None):
        h = {"Origin": self.origin, "Content-Type": "application/x-www-form-urlencoded"}
        h.update(headers or {})
        for k in [k for k, v in h.items() if v is None]:
            del h[k]
        return self.srv.request(path, method="POST", headers=h, body=body)


class MyNotesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tree = klabtree.Tree(ARGS.src, os.path.dirname(ARGS.klab))
        cls.srv = klabtree.Server(ARGS.klab, cls.tree)
        cls.c = Client(cls.srv)

    @classmethod
    def tearDownClass(cls):
        rc = klabtree.stop_clean(cls.srv, 0)
        cls.tree.remove()
        assert rc == 0, "klab serve failed or a sanitizer spoke"

    def page(self, path, status=200):
        st, hdr, body = self.c.get(path)
        self.assertEqual(st, status, "%s answered %d: %s" % (path, st, body[:300]))
        return body.decode()

    def new_note(self, title):
        st, hdr, body = self.c.post("/my/new", form(token=self.c.token(), title=title))
        self.assertEqual(st, 303, body[:300])
        m = re.match(r"^/my/([a-z0-9_-]+)/edit$", hdr["location"])
        self.assertTrue(m, hdr["location"])
        return m.group(1)

    def save(self, name, text, message="", status=303):
        tok = self.c.token("/my/%s/edit" % name)
        st, hdr, body = self.c.post("/my/%s/edit" % name,
                                    form(token=tok, text=text, message=message))
        self.assertEqual(st, status, body[:500])
        return hdr

    # ------------------------------------------------------------ writing and reading

    def test_create_edit_history_search(self):
        before = commits(self.tree)
        name = self.new_note("Signal delivery <b>step</b> by step")
        self.assertEqual(name, "signal-delivery-b-step-b-by-step")
        path = os.path.join(self.tree.home, "notes", name + ".md")
        first = read(path)
        self.assertIn('title: "Signal delivery <b>step</b> by step"', first)
        # the textarea holds the text, escaped; the preview is rendered
        edit = self.page("/my/%s/edit" % name)
        self.assertIn("Signal delivery &lt;b&gt;step&lt;/b&gt; by step", edit)
        self.assertNotIn("<b>step</b>", edit)
        self.assertIn('src="/static/mynotes.js"', edit)
        text = first.replace("\n\n", "\n\n## Where it starts\n\nIn `get_signal()`, "
                             "then do_greoup_exit().\r\n\r\n<script>alert(1)</script>\n", 1)
        hdr = self.save(name, text, message="First real text")
        self.assertEqual(hdr["location"], "/my/" + name)
        on_disk = read(path, newline="")
        self.assertNotIn("\r", on_disk)  # the browser's CR LF made LF
        self.assertEqual(commits(self.tree), before + 2)
        self.assertEqual(git(self.tree, "log", "-1", "--format=%s").strip(), "First real text")
        self.assertEqual(git(self.tree, "show", "HEAD:%s.md" % name), on_disk)
        self.assertEqual(git(self.tree, "status", "--porcelain"), "")
        # the same text again: no commit
        self.save(name, on_disk)
        self.assertEqual(commits(self.tree), before + 2)
        # the note page, like any note: title, table of contents material, no raw HTML
        note = self.page("/my/" + name)
        self.assertIn("Where it starts", note)
        self.assertIn("<h1>Signal delivery &lt;b&gt;step&lt;/b&gt; by step</h1>", note)
        self.assertNotIn("<script>alert", note)
        self.assertIn('href="/my/%s/history"' % name, note)
        self.assertIn('href="/my/%s/edit"' % name, note)
        self.assertIn('<a href="/my">My notes</a>', note)
        # its history: two commits, each with its diff
        hist = self.page("/my/%s/history" % name)
        self.assertIn("2 changes", hist)
        self.assertIn("First real text", hist)
        head = git(self.tree, "rev-parse", "HEAD").strip()
        diff = self.page("/my/%s/history/%s" % (name, head))
        self.assertIn("Where it starts", diff)
        self.assertIn("d-add", diff)
        self.page("/my/%s/history/%s" % (name, "0" * 40), 404)
        # listed on /my and on the home page; search finds it, marked mine
        self.assertIn('href="/my/%s"' % name, self.page("/my"))
        home = self.page("/")
        self.assertIn("My notes", home)
        self.assertIn('href="/my/%s"' % name, home)
        res = self.page("/search?q=do_greoup_exit")
        self.assertIn("kind-mine", res)
        self.assertIn('href="/my/%s' % name, res)
        st, _, body = self.c.get("/api/search?q=do_greoup_exit")
        self.assertEqual(st, 200)
        self.assertIn(b'"kind":"mine"', body)
        # the preview renders Markdown safely
        st, _, body = self.c.post("/api/my/preview", form(text="# T\n\n**b** <script>x</script>"),
                                  headers={"X-Klab-Token": self.c.token()})
        self.assertEqual(st, 200)
        self.assertIn(b"<strong>b</strong>", body)
        self.assertNotIn(b"<script>", body)

    def test_outside_editor_is_committed(self):
        self.page("/my")  # the notes repository exists
        path = os.path.join(self.tree.home, "notes", "from-vim.md")
        with open(path, "w") as f:
            f.write("# Written in vim\n\nNo front matter at all.\n")
        listing = self.page("/my")
        self.assertIn("Written in vim", listing)
        self.assertIn(git(self.tree, "log", "-1", "--format=%s").strip(),
                      ("Pick up changes made outside klab",))
        self.assertEqual(git(self.tree, "show", "HEAD:from-vim.md"), read(path))
        self.assertIn("No front matter at all.", self.page("/my/from-vim"))

    def test_broken_front_matter_points_to_the_editor(self):
        self.page("/my")
        with open(os.path.join(self.tree.home, "notes", "broken.md"), "w") as f:
            f.write("---\ntitle: [unclosed\n---\n# Broken\n")
        body = self.page("/my/broken", 500)
        self.assertIn("<code>/my/broken/edit</code>", body)
        self.assertIn("title: [unclosed", self.page("/my/broken/edit"))
        self.page("/my/broken/history")
        self.assertIn('href="/my/broken"', self.page("/my"))

    def test_bad_names_and_missing_notes(self):
        for path in ["/my/nosuch", "/my/nosuch/history", "/my/nosuch/edit", "/my/..%2Fetc",
                     "/my/.git", "/my/Upper"]:
            self.page(path, 404)
        st, _, _ = self.c.post("/my/nosuch/edit", form(token=self.c.token(), text="x"))
        self.assertEqual(st, 404)
        self.assertFalse(os.path.exists(os.path.join(self.tree.home, "notes", "nosuch.md")))
        st, _, _ = self.c.post("/my/new", form(token=self.c.token(), title=""))
        self.assertEqual(st, 400)

    # ------------------------------------------------------------ refusals

    def test_post_refused_without_token_or_origin(self):
        name = self.new_note("Guarded")
        n0 = commits(self.tree)
        tok = self.c.token()
        port = self.srv.port
        cases = {
            "no token": ({}, form(text="x1")),
            "wrong token": ({}, form(token="0" * 64, text="x2")),
            "short token": ({}, form(token=tok[:10], text="x3")),
            "other origin": ({"Origin": "http://evil.example"}, form(token=tok, text="x4")),
            "origin null": ({"Origin": "null"}, form(token=tok, text="x5")),
            "origin other port": ({"Origin": "http://127.0.0.1:%d" % (port + 1)},
                                  form(token=tok, text="x6")),
            "no origin, no referer": ({"Origin": None}, form(token=tok, text="x7")),
            "referer elsewhere": ({"Origin": None, "Referer": "http://evil.example/my/"},
                                  form(token=tok, text="x8")),
            "https origin": ({"Origin": "https://127.0.0.1:%d" % port}, form(token=tok, text="x9")),
        }
        for what, (headers, body) in cases.items():
            st, _, resp = self.c.post("/my/%s/edit" % name, body, headers=headers)
            self.assertEqual(st, 403, "%s: %d %s" % (what, st, resp[:200]))
        # the preview and new-note routes are guarded the same way
        st, _, _ = self.c.post("/api/my/preview", form(text="x"))
        self.assertEqual(st, 403)
        st, _, _ = self.c.post("/my/new", form(title="sneaky"),
                               headers={"Origin": "http://evil.example"})
        self.assertEqual(st, 403)
        self.assertEqual(commits(self.tree), n0)
        self.assertNotIn("x", read(os.path.join(self.tree.home, "notes", name + ".md"))
                         .split("---")[-1].split())
        # the token in a header works, and a same-origin Referer stands for a missing Origin
        st, _, _ = self.c.post("/my/%s/edit" % name, form(text="# Guarded\n\nby header\n"),
                               headers={"X-Klab-Token": tok})
        self.assertEqual(st, 303)
        st, _, _ = self.c.post("/my/%s/edit" % name, form(token=tok, text="# Guarded\n\nref\n"),
                               headers={"Origin": None,
                                        "Referer": "http://localhost:%d/my/%s/edit" % (port, name)})
        self.assertEqual(st, 303)
        self.assertEqual(commits(self.tree), n0 + 2)

    def test_foreign_host_is_421_on_every_route(self):
        port = self.srv.port
        name = self.new_note("Hosts")
        paths = ["/", "/my", "/my/" + name, "/my/%s/edit" % name, "/notes/alpha",
                 "/notes/alpha/history", "/labs/modules-01", "/search?q=lock", "/api/topics",
                 "/api/search?q=lock", "/static/klab.css", "/nope", "/my/new"]
        bad_hosts = ["evil.example:%d" % port, "evil.example", "127.0.0.1",
                     "127.0.0.1:%d" % (port + 1), "localhost.evil.example:%d" % port,
                     "0.0.0.0:%d" % port, "127.0.0.1:%d.evil.example" % port, ""]
        for path in paths:
            for host in bad_hosts:
                st, _, body = self.c.get(path, headers={"Host": host})
                self.assertEqual(st, 421, "%s with Host %r: %d" % (path, host, st))
            for host in ["127.0.0.1:%d" % port, "localhost:%d" % port, "LOCALHOST:%d" % port,
                         "[::1]:%d" % port]:
                st, _, body = self.c.get(path, headers={"Host": host})
                self.assertNotEqual(st, 421, "%s with Host %r" % (path, host))
        # a POST with a foreign Host never reaches the token check
        st, _, _ = self.c.post("/my/%s/edit" % name, form(token=self.c.token(), text="x"),
                               headers={"Host": "evil.example:%d" % port,
                                        "Origin": "http://evil.example:%d" % port})
        self.assertEqual(st, 421)
        # HTTP/1.0 without a Host header
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        self.assertTrue(data.startswith(b"HTTP/1.0 421") or data.startswith(b"HTTP/1.1 421"),
                        data[:80])


class ReadOnlyTest(unittest.TestCase):
    """--bind 0.0.0.0: not loopback, so the notes are shown and nothing can be written."""

    def test_non_loopback_bind_is_read_only(self):
        tree = klabtree.Tree(ARGS.src, os.path.dirname(ARGS.klab))
        srv = None
        try:
            env_home = os.path.join(tree.home, "notes")
            os.makedirs(env_home)
            with open(os.path.join(env_home, "mine.md"), "w") as f:
                f.write("---\ntitle: Mine\n---\n# Mine\n\nRead only here.\n")
            srv = klabtree.Server(ARGS.klab, tree, extra=["--bind", "0.0.0.0"])
            self.assertIn("not on loopback", srv.stderr())
            port = srv.port
            loc = {"Host": "127.0.0.1:%d" % port}
            st, _, body = srv.request("/my/mine", headers=loc)
            self.assertEqual(st, 200)
            self.assertIn(b"Read only here.", body)
            self.assertNotIn(b"/my/mine/edit", body)
            st, _, body = srv.request("/my", headers=loc)
            self.assertIn(b"read-only", body)
            self.assertNotIn(b'href="/my/new"', body)
            for path in ["/my/mine/edit", "/my/new"]:
                st, _, _ = srv.request(path, headers=loc)
                self.assertEqual(st, 403, path)
            n0 = commits(tree)
            for path, body in [("/my/mine/edit", form(token="0" * 64, text="x")),
                               ("/my/new", form(token="0" * 64, title="x")),
                               ("/api/my/preview", form(text="x"))]:
                h = dict(loc, Origin="http://127.0.0.1:%d" % port,
                         **{"Content-Type": "application/x-www-form-urlencoded"})
                st, _, resp = srv.request(path, method="POST", headers=h, body=body)
                self.assertEqual(st, 403, path)
                self.assertIn(b"Read-only", resp)
            self.assertEqual(commits(tree), n0)
            st, _, _ = srv.request("/my/mine", headers={"Host": "evil.example:%d" % port})
            self.assertEqual(st, 421)
        finally:
            rc = klabtree.stop_clean(srv, 0)
            tree.remove()
        self.assertEqual(rc, 0)


class KillDuringSaveTest(unittest.TestCase):
    """SIGKILL at points spread over a save: the repository stays intact. The sanitized
    test build spreads the save's steps out (KLAB_TEST_SAVE_PAUSE_MS), so the kills land
    before, between and after them; another build is killed at points over its own
    (short) save, which checks the same but may never land in the middle."""

    PAUSE_MS = 250

    def test_kill_during_save(self):
        tree = klabtree.Tree(ARGS.src, os.path.dirname(ARGS.klab))
        tree.env["KLAB_TEST_SAVE_PAUSE_MS"] = str(self.PAUSE_MS)
        srv = None
        try:
            srv = klabtree.Server(ARGS.klab, tree)
            c = Client(srv)
            st, hdr, _ = c.post("/my/new", form(token=c.token(), title="Crash test"))
            self.assertEqual(st, 303)
            name = hdr["location"].split("/")[2]
            path = os.path.join(tree.home, "notes", name + ".md")
            # how long a save takes (with the hook: at least two pauses)
            t0 = time.monotonic()
            st, _, _ = c.post("/my/%s/edit" % name, form(token=c.token("/my/%s/edit" % name),
                                                         text="version 0\n" * 2000))
            took = time.monotonic() - t0
            self.assertEqual(st, 303)
            hooks = took >= 2 * self.PAUSE_MS / 1000
            klabtree.stop_clean(srv, 0)
            srv = None
            outcomes = {"old": 0, "new": 0, "uncommitted": 0}
            steps = 14
            for i in range(1, steps + 1):
                old = read(path)
                new = ("version %d\n" % i) * 2000
                srv = klabtree.Server(ARGS.klab, tree)
                c = Client(srv)
                tok = c.token("/my/%s/edit" % name)
                # kill at i/steps of the save's length, and a little past its end
                delay = took * 1.1 * i / steps
                t = threading.Thread(target=lambda: self._post_quietly(c, name, tok, new))
                t.start()
                time.sleep(delay)
                srv.proc.send_signal(signal.SIGKILL)
                srv.proc.wait()
                t.join()
                srv.stop()
                srv = None
                fsck = subprocess.run(["git", "-C", os.path.join(tree.home, "notes"), "fsck",
                                       "--strict", "--no-dangling"], env=tree.env, text=True,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                self.assertEqual(fsck.returncode, 0, "kill %d: git fsck: %s" % (i, fsck.stdout))
                now = read(path)
                self.assertIn(now, (old, new), "kill %d: the note is neither version" % i)
                outcomes["old" if now == old and old != new else "new"] += 1
                if git(tree, "show", "HEAD:%s.md" % name) != now:
                    outcomes["uncommitted"] += 1  # killed between the rename and the commit
                # the next klab command commits what the file holds; HEAD equals it then
                r = subprocess.run([ARGS.klab, "note", "list"], env=tree.env, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(git(tree, "show", "HEAD:%s.md" % name), now, "kill %d" % i)
                self.assertEqual(git(tree, "status", "--porcelain"), "", "kill %d" % i)
                # a killed save's temporary file is cleared by the next writer
                tmp = os.path.join(tree.home, "notes", ".git", "klab-tmp")
                self.assertEqual(os.listdir(tmp) if os.path.isdir(tmp) else [], [], "kill %d" % i)
            print("kill during save: %r (save %.3f s, %s)" % (
                outcomes, took, "test hooks" if hooks else "no test hooks: not the test build"))
            if hooks:  # the kills fell before, between and after the steps
                self.assertGreater(outcomes["old"], 0, outcomes)
                self.assertGreater(outcomes["new"], 0, outcomes)
                self.assertGreater(outcomes["uncommitted"], 0, outcomes)
        finally:
            if srv:
                srv.proc.kill()
                srv.stop()
            tree.remove()

    @staticmethod
    def _post_quietly(c, name, tok, text):
        try:
            c.post("/my/%s/edit" % name, form(token=tok, text=text))
        except (OSError, ConnectionError, Exception):  # the server was killed: expected
            pass


def main():
    global ARGS
    ARGS, argv = klabtree.test_args()
    unittest.main(argv=argv, verbosity=2)


if __name__ == "__main__":
    main()
