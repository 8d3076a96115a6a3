#!/usr/bin/env python3
"""test_serve.py - `klab serve` end to end: a real server on 127.0.0.1 (--port 0)
over a throwaway tree (see klabtree.py), asked with raw HTTP requests.

usage: test_serve.py --klab PATH/TO/klab --src SOURCE_DIR
"""
import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import klabtree  # noqa: E402

ARGS = None


class ServeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tree = klabtree.Tree(ARGS.src, os.path.dirname(ARGS.klab))
        cls.srv = klabtree.Server(ARGS.klab, cls.tree)

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        log = cls.srv.stderr()
        cls.tree.remove()
        # Shutdown is clean and the sanitizers had nothing to say.
        assert rc == 0, "klab serve exited with %r:\n%s" % (rc, log[-4000:])
        for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error:", "Sanitizer"):
            assert bad not in log, "sanitizer report:\n" + log[-8000:]
        assert "shutting down" in log

    def get(self, path, **kw):
        return self.srv.request(path, **kw)

    def page(self, path, status=200):
        st, hdr, body = self.get(path)
        self.assertEqual(st, status, "%s answered %d: %s" % (path, st, body[:300]))
        return hdr, body.decode("utf-8")

    def api(self, path, status=200):
        st, hdr, body = self.get(path)
        self.assertEqual(st, status, path)
        self.assertTrue(hdr["content-type"].startswith("application/json"), path)
        return json.loads(body)

    # ------------------------------------------------------------ routes

    def test_every_route_answers(self):
        c = self.tree.commits[0]
        for path in ["/", "/notes/alpha", "/notes/beta", "/notes/evil", "/notes/alpha/history",
                     "/notes/alpha/history/" + c, "/notes/alpha/history/" + c[:8],
                     "/labs/modules-01", "/labs/modules-01/diff?from=1&to=2",
                     "/search", "/search?q=lock", "/static/klab.css", "/static/klab.js",
                     "/static/favicon.svg"]:
            hdr, body = self.page(path)
            if not path.startswith("/static/"):
                self.assertIn("text/html", hdr["content-type"], path)
                self.assertIn("</html>", body, path)
        for path in ["/api/topics", "/api/notes", "/api/notes/alpha", "/api/labs",
                     "/api/labs/modules-01", "/api/progress", "/api/search?q=lock"]:
            self.api(path)
        for path in ["/nope", "/notes/nosuch", "/labs/nosuch-01", "/notes/alpha/history/"
                     "0000000000000000000000000000000000000000", "/notes/", "/labs/",
                     "/static/nosuch.css", "/notes/alpha/extra"]:
            hdr, body = self.page(path, 404)
            self.assertIn("text/html", hdr["content-type"])
            self.assertIn("Back to the topics", body)
        self.assertIn("error", self.api("/api/nope", 404))
        self.assertIn("error", self.api("/api/notes/nosuch", 404))
        st, _, _ = self.get("/labs/modules-01/diff")
        self.assertEqual(st, 400)

    def test_home(self):
        _, body = self.page("/")
        self.assertLess(body.index("Alpha locks"), body.index("Beta waits"))  # study order
        self.assertIn('href="/notes/alpha"', body)
        self.assertIn('href="/labs/modules-01"', body)
        self.assertIn("passed", body)           # modules-01's second attempt passed
        full = self.tree.modules_max
        self.assertIn("best %d/%d" % (full, full), body)
        self.assertIn("coming soon", body)      # nosuch-01 is listed but not written
        self.assertIn("<strong>1</strong>", body)
        # every lab once, whatever notes list it
        for lab in ("modules-01",):
            self.assertEqual(body.count('class="lab-link" href="/labs/%s"' % lab), 1, lab)

    def test_pager_and_errors(self):
        _, body = self.page("/notes/alpha")
        self.assertIn('<a class="pager-link next" href="/notes/beta" rel="next">', body)
        self.assertNotIn('rel="prev"', body)                # the first topic
        _, body = self.page("/notes/beta")
        self.assertIn('href="/notes/alpha" rel="prev"', body)
        _, body = self.page("/notes/alpha")
        # closed in the HTML (a phone's first screen); klab.js opens it on a wide screen
        self.assertIn('<aside class="toc" aria-label="On this page"><details><summary>', body)
        st, _, raw = self.get("/labs/nope-01")
        body = raw.decode()
        self.assertEqual(st, 404)
        self.assertIn("<code>klab list</code>", body)       # code, not raw backticks
        self.assertNotIn("`", body.split("<main")[1].split("</main>")[0])

    def test_note_page(self):
        hdr, body = self.page("/notes/alpha")
        self.assertIn("<h1>Alpha locks</h1>", body)
        self.assertIn('<h2 id="why-it-matters">', body)
        self.assertIn('<h3 id="a-table">', body)
        self.assertIn('href="#why-it-matters"', body)            # table of contents
        self.assertIn('<a href="/notes/beta#the-details">beta</a>', body)
        self.assertIn('<a href="/labs/modules-01">the lab</a>', body)
        self.assertEqual(body.count('class="broken-link"'), 2)
        self.assertIn("There is no lab `gone-01`", body)
        self.assertIn("<table>", body)
        self.assertIn('<span class="tok-kw">static</span>', body)
        self.assertIn('<span class="tok-com">/* a comment */</span>', body)
        self.assertIn('<span class="tok-str">&quot;hi\\n&quot;</span>', body)
        self.assertIn("Last changed", body)
        self.assertIn(self.tree.commits[0][:7], body)
        if self.tree.diagram:
            self.assertIn('<img src="/static/diagrams/%s"' % self.tree.diagram, body)
            st, h, svg = self.get("/static/diagrams/" + self.tree.diagram)
            self.assertEqual(st, 200)
            self.assertEqual(h["content-type"], "image/svg+xml")
            self.assertIn(b"<svg", svg)

    def test_escaping(self):
        for path in ["/notes/evil", "/", "/search?q=evilword", "/search?q=%3Cscript%3E"]:
            _, body = self.page(path)
            # The only script element is klab's own file.
            self.assertEqual(len(re.findall(r"<script", body, re.I)), 1, path)
            self.assertIn('<script src="/static/klab.js" defer></script>', body)
            self.assertNotRegex(body, r"<[^>]*\bon(error|mouseover)\s*=", path)
            self.assertNotIn("javascript:alert", body.replace("`javascript:`", ""), path)
            self.assertNotIn("<img src=x", body, path)
        _, body = self.page("/notes/evil")
        self.assertIn("Evil &lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;", body)
        self.assertIn("&lt;script&gt;alert(6)&lt;/script&gt;", body)
        self.assertNotIn("data:text/html", body)
        # answer folds with attributes or markup are raw HTML: omitted, not rebuilt
        self.assertNotIn("<details", body.split('class="prose"', 1)[-1].split("</article>")[0])
        self.assertNotIn("ontoggle", body)
        note = self.api("/api/notes/evil")
        self.assertNotIn("<script", note["html"])
        st, _, raw = self.get("/api/notes/evil")
        self.assertNotIn(b"<", raw)   # JSON strings carry < as \u003c

    def test_answer_fold(self):
        _, body = self.page("/notes/beta")
        self.assertIn('<details class="fold">\n<summary>Answer</summary>\n'
                      '<p>It returns at once', body)
        self.assertIn("</details>", body)
        self.assertIn('<h2 id="exercises">', body)

    def test_history(self):
        _, body = self.page("/notes/alpha/history")
        self.assertIn("2 changes", body)
        for c in self.tree.commits:
            self.assertIn('/notes/alpha/history/%s"' % c, body)
        self.assertIn("Alpha: a later section &lt;b&gt;bold&lt;/b&gt;", body)
        _, body = self.page("/notes/alpha/history/" + self.tree.commits[0])
        self.assertRegex(body, r'<span class="d-add">(<span class="ln" data-n="\d*"></span>){2}'
                               r'\+## Later</span>')
        _, body = self.page("/notes/beta/history")
        self.assertIn("1 change,", body)
        for bad in ["zzzzzzz", "../../x", "%2e%2e", "12345"]:
            st, _, _ = self.get("/notes/alpha/history/" + bad)
            self.assertEqual(st, 404, bad)

    def test_lab_page(self):
        _, body = self.page("/labs/modules-01")
        self.assertIn("klab run modules-01", body)
        self.assertIn('<details class="hint"><summary>Hint 1</summary>', body)
        full = self.tree.modules_max
        self.assertIn("%d/%d" % (full, full), body)
        self.assertIn("5/%d" % full, body)
        self.assertIn("/labs/modules-01/diff?from=1&amp;to=2", body)
        self.assertIn("status-pass", body)
        _, body = self.page("/labs/modules-01/diff?from=1&to=2")
        # highlighted and numbered: no old line, new line 3
        self.assertIn('<span class="d-add"><span class="ln" data-n=""></span>'
                      '<span class="ln" data-n="3"></span>+static int count = 1;</span>', body)
        self.assertIn("Attempt 2 against attempt 1", body)   # the lab's own numbers
        for q in ["from=1&to=999", "from=x&to=2", "from=1"]:
            st, _, _ = self.get("/labs/modules-01/diff?" + q)
            self.assertIn(st, (400, 404), q)
        lab = self.api("/api/labs/modules-01")
        self.assertEqual(lab["status"], "passed")
        self.assertEqual(lab["best"], self.tree.modules_max)
        self.assertEqual([a["id"] for a in lab["attempts"]], [2, 1])
        prog = self.api("/api/progress")
        self.assertEqual(prog["labs_passed"], 1)
        topics = self.api("/api/topics")
        self.assertEqual([t["topic"] for t in topics][:2], ["alpha", "beta"])

    def test_lists_are_paged(self):
        # /api/notes and /api/topics grow with the knowledge base: a page at a time
        notes = self.api("/api/notes")
        self.assertGreaterEqual(len(notes), 3)
        st, hdr, body = self.get("/api/notes?per_page=1&page=2")
        self.assertEqual(st, 200)
        self.assertEqual(json.loads(body), notes[1:2])
        self.assertEqual(hdr["x-total-count"], str(len(notes)))
        self.assertIn('</api/notes?page=3&per_page=1>; rel="next"', hdr["link"])
        self.assertIn('</api/notes?page=1&per_page=1>; rel="prev"', hdr["link"])
        st, hdr, body = self.get("/api/notes?per_page=%d&page=1" % len(notes))
        self.assertEqual(json.loads(body), notes)
        self.assertNotIn("link", hdr)                       # one page: no other
        st, hdr, body = self.get("/api/notes?page=99")
        self.assertEqual((st, json.loads(body)), (200, []))  # past the end: empty
        self.assertIn('rel="prev"', hdr["link"])
        topics = self.api("/api/topics?per_page=2")
        self.assertEqual([t["topic"] for t in topics], ["alpha", "beta"])
        for bad in ["page=0", "page=x", "page=-1", "page=1e3", "per_page=0", "per_page=1001",
                    "per_page="]:
            for path in ["/api/notes?", "/api/topics?"]:
                err = self.api(path + bad, 400)
                self.assertIn("per_page", err["error"], path + bad)

    # ------------------------------------------------------------ search

    def test_search(self):
        res = self.api("/api/search?q=spin_lock_irqsave")
        self.assertEqual(res["results"][0]["id"], "alpha")
        self.assertIn("<mark>spin_lock_irqsave</mark>", res["results"][0]["snippet_html"])
        res = self.api("/api/search?q=wait_ev")            # prefix as you type
        self.assertEqual([r["id"] for r in res["results"]], ["beta"])
        res = self.api("/api/search?q=Alpha")               # title weighs most
        self.assertEqual(res["results"][0]["id"], "alpha")
        _, body = self.page("/search?q=spin_lock_irqsave")
        self.assertIn("<mark>spin_lock_irqsave</mark>", body)
        self.assertIn('href="/notes/alpha"', body)
        _, body = self.page("/search?q=wait+queue")          # form encoding: + is a blank
        self.assertIn('href="/notes/beta#the-details"', body)  # down to the matching section

    def test_bad_queries(self):
        bad = ['"', '"unbalanced', "AND", "a AND", "OR", "NOT", "*", "**", "C++", "foo-bar",
               "a:b", "\x01\x02", "\x7f", "", " ", "(", ")", "NEAR(a", "^", "title:x",
               "x" * 3000, "%", "'; DROP TABLE docs; --", "\u00e9t\u00e9", "\ufffd",
               "spin_lock*", "-x", "{a}", "a\nb", "\x00x"]
        for q in bad:
            enc = urllib.parse.quote(q, safe="")
            st, hdr, body = self.get("/search?q=" + enc)
            self.assertEqual(st, 200, repr(q))
            text = body.decode("utf-8")
            self.assertNotIn("Could not search", text, repr(q))
            self.assertTrue(re.search(r'class="(notice|result-count)"', text), repr(q))
            st, hdr, body = self.get("/api/search?q=" + enc)
            self.assertEqual(st, 200, repr(q))
            res = json.loads(body)
            self.assertTrue(res["message"] or isinstance(res["results"], list), repr(q))
        res = self.api("/api/search?q=")
        self.assertIn("Type a word", res["message"])
        res = self.api("/api/search?q=%2A")
        self.assertIn("no letters or digits", res["message"])

    def test_index_notices_edits(self):
        word = "quokkaword%d" % os.getpid()
        self.assertEqual(self.api("/api/search?q=" + word)["results"], [])
        _, before = self.page("/notes/beta")
        self.assertNotIn(word, before)
        path = os.path.join(self.tree.root, "notes", "beta.md")
        with open(path, "a", encoding="utf-8") as f:
            f.write("\nA new paragraph about %s.\n" % word)
        deadline = time.time() + 5
        while time.time() < deadline:
            if self.api("/api/search?q=" + word)["results"]:
                break
            time.sleep(0.05)
        ids = [r["id"] for r in self.api("/api/search?q=" + word)["results"]]
        self.assertEqual(ids, ["beta"])
        _, after = self.page("/notes/beta")              # the cached page went too
        self.assertIn(word, after)
        # A new note appears without a restart.
        self.tree.write("notes/gamma.md", "---\ntitle: Gamma\ntopic: gamma\norder: 9\n---\n"
                        "Fresh %s.\n" % word)
        deadline = time.time() + 5
        while time.time() < deadline and len(self.api("/api/search?q=" + word)["results"]) < 2:
            time.sleep(0.05)
        self.assertEqual(len(self.api("/api/search?q=" + word)["results"]), 2)
        self.page("/notes/gamma")

    def test_broken_note_is_reported(self):
        path = os.path.join(self.tree.root, "notes", "broken.md")
        self.tree.write("notes/broken.md", "no front matter here\n")
        try:
            deadline = time.time() + 5
            body = ""
            while time.time() < deadline and "could not be read" not in body:
                _, body = self.page("/")
                time.sleep(0.05)
            self.assertIn("could not be read", body)
            self.assertIn("broken.md", body)
            self.assertIn("Alpha locks", body)          # the others still show
            _, body = self.page("/notes/broken", 500)
            self.assertIn("broken.md", body)
        finally:
            os.unlink(path)

    # ------------------------------------------------------------ HTTP rules

    def test_path_traversal(self):
        paths = [
            "/static/../SECRET.txt", "/static/../../etc/passwd",
            "/static/..%2fSECRET.txt", "/static/%2e%2e/SECRET.txt",
            "/static/%2e%2e%2fSECRET.txt", "/static/%2E%2E/%2E%2E/etc/passwd",
            "/static/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
            "/static//etc/passwd", "/static/%2fetc%2fpasswd", "/static/%2F..%2FSECRET.txt",
            "/static/klab.css%00", "/static/klab.css%00.txt", "/static/%00../SECRET.txt",
            "/static/evil-link", "/static/evil-dir/passwd", "/static/secret-link.txt",
            "/static/.hidden", "/static/templates/../../SECRET.txt",
            "/static/diagrams/../../SECRET.txt", "/static/diagrams/..%2f..%2fSECRET.txt",
            "/static/diagrams/%2e%2e%2f%2e%2e%2fSECRET.txt", "/static/diagrams/../klab.css",
            "/../SECRET.txt", "/%2e%2e/SECRET.txt", "/..%2fSECRET.txt", "//etc/passwd",
            "/notes/..%2f..%2fSECRET", "/notes/%2e%2e", "/notes/../SECRET.txt",
            "/labs/..%2f..%2fetc", "/labs/%2e%2e%2fmodules-01",
            "/static/klab.css/..", "/static/./klab.css", "/static\\..\\SECRET.txt",
            "/api/notes/..%2fSECRET", "/SECRET.txt", "/etc/passwd",
            "/static/" + "a/" * 300 + "x", "/static/%c0%ae%c0%ae/SECRET.txt",
        ]
        for p in paths:
            st, _, body = self.get(p)
            self.assertIn(st, (400, 404, 414), p)
            self.assertNotIn(klabtree.SECRET.encode(), body, p)
            self.assertNotIn(b"root:x:0:0", body, p)
        # An absolute URI as the request target does not escape either.
        st, _, body = self.get("http://127.0.0.1/etc/passwd")
        self.assertNotIn(b"root:x:0:0", body)

    def test_etag_304(self):
        for path in ["/static/klab.css", "/notes/alpha"]:
            st, hdr, body = self.get(path)
            self.assertEqual(st, 200)
            etag = hdr.get("etag")
            self.assertTrue(etag and etag.startswith('"'), path)
            st, hdr2, body2 = self.get(path, headers={"If-None-Match": etag})
            self.assertEqual(st, 304, path)
            self.assertEqual(body2, b"")
            self.assertEqual(hdr2.get("etag"), etag)
            st, _, _ = self.get(path, headers={"If-None-Match": '"other"'})
            self.assertEqual(st, 200)

    def test_security_headers(self):
        for path in ["/", "/notes/alpha", "/static/klab.css", "/api/topics", "/nope",
                     "/search?q=x"]:
            _, hdr, _ = self.get(path)
            csp = hdr.get("content-security-policy", "")
            self.assertIn("script-src 'self'", csp, path)
            self.assertNotIn("unsafe-inline", csp, path)
            self.assertIn("default-src 'none'", csp, path)
            self.assertEqual(hdr.get("x-content-type-options"), "nosniff", path)
            self.assertIn("referrer-policy", hdr, path)

    def test_methods_and_bodies(self):
        st, hdr, _ = self.get("/", method="POST", body=b"")
        self.assertEqual(st, 405)
        self.assertIn("GET", hdr.get("allow", ""))
        st, _, _ = self.get("/notes/alpha", method="DELETE")
        self.assertEqual(st, 405)
        st, _, _ = self.get("/", method="POST", body=b"a=1")
        self.assertIn(st, (405, 413))
        st, _, _ = self.get("/search?q=x", body=b"hello")
        self.assertEqual(st, 413)
        st, hdr, body = self.get("/notes/alpha", method="HEAD")
        self.assertEqual(st, 200)
        self.assertEqual(body, b"")

    def test_keep_alive(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=10)
        try:
            for path in ["/", "/notes/alpha", "/static/klab.css", "/api/topics"]:
                st, hdr, _ = self.srv.request(path, conn=conn)
                self.assertEqual(st, 200)
                self.assertNotEqual(hdr.get("connection", "").lower(), "close", path)
        finally:
            conn.close()

    def test_access_log(self):
        self.get("/notes/beta?from=log")
        time.sleep(0.2)
        self.assertRegex(self.srv.stderr(), r'127\.0\.0\.1 \[[0-9T:Z-]+\] "GET /notes/beta" 200 ')


class ServeOptionsTest(unittest.TestCase):
    def test_options(self):
        tree = klabtree.Tree(ARGS.src, os.path.dirname(ARGS.klab))
        try:
            # Loopback other than 127.0.0.1: no warning.
            srv = klabtree.Server(ARGS.klab, tree, ["--bind", "127.0.0.2"])
            srv.stop()
            self.assertNotIn("WARNING", srv.stderr())
            # A non-loopback address gets a loud warning (this one cannot be bound here).
            p = subprocess.run([ARGS.klab, "serve", "--bind", "192.0.2.1", "--port", "0"],
                               env=tree.env, capture_output=True, text=True, timeout=20)
            self.assertIn("WARNING", p.stderr)
            self.assertNotEqual(p.returncode, 0)
            for bad in (["--port", "x"], ["--port", "70000"], ["--bind", "nowhere"], ["--what"]):
                p = subprocess.run([ARGS.klab, "serve"] + bad, env=tree.env,
                                   capture_output=True, text=True, timeout=20)
                self.assertEqual(p.returncode, 2, bad)
                self.assertIn("klab:", p.stderr)
            # SIGINT is a clean stop too.
            srv = klabtree.Server(ARGS.klab, tree)
            srv.proc.send_signal(2)
            self.assertEqual(srv.proc.wait(timeout=10), 0)
            srv.stop()
            self.assertIn("interrupted", srv.stderr())
        finally:
            tree.remove()

    def test_cli_search(self):
        tree = klabtree.Tree(ARGS.src, os.path.dirname(ARGS.klab))
        try:
            p = subprocess.run([ARGS.klab, "search", "--json", "spin_lock_irqsave"],
                               env=tree.env, capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            res = json.loads(p.stdout)
            self.assertEqual(res["results"][0]["id"], "alpha")
            p = subprocess.run([ARGS.klab, "search", "wait_event"], env=tree.env,
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("Beta waits", p.stdout)
            for q in ['"', "AND", "*", "C++", "a:b"]:
                p = subprocess.run([ARGS.klab, "search", "--json", q], env=tree.env,
                                   capture_output=True, text=True, timeout=60)
                self.assertIn(p.returncode, (0, 1), q)
                json.loads(p.stdout)
                self.assertNotIn("Sanitizer", p.stderr)
        finally:
            tree.remove()


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--klab", required=True)
    ap.add_argument("--src", required=True)
    ARGS, rest = ap.parse_known_args()
    ARGS.klab = os.path.abspath(ARGS.klab)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
