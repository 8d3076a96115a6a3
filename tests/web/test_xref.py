#!/usr/bin/env python3
"""test_xref.py - the kernel source pages of `klab serve` end to end: /ident/NAME,
/api/ident/NAME, /source/ and /source/PATH against the real index of Debian's
linux-source-6.1, the bad input the issue names, and the links from notes and
lab READMEs into them.

The index is read from $KLAB_CACHE/xref (default ~/.cache/klab/xref) and built
there with `klab xref --build` when missing (minutes, once); the throwaway tree's
cache links to it as it links the kernels.

usage: test_xref.py --klab PATH/TO/klab --src SOURCE_DIR
"""
import argparse
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import klabtree  # noqa: E402

ARGS = None


def real_cache():
    return os.environ.get("KLAB_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "klab")


# A course note with names `klab check` does not find in the kernel (in code spans,
# which are checked; prose in a course note is not).
GAMMA = """---
title: Gamma exits
topic: gamma
order: 3
labs: []
tags: [exit]
---
# Gamma exits

A fatal signal ends in `do_greoup_exit()`, reached from `get_signal()`; the old
`get_signal_deliver()` is gone, and so is `struct no_such_thing_xyzzy`.
In prose do_greoup_exit is marked too, but no_such_prose_word is not looked up.
"""


class XrefTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cache = real_cache()
        p = subprocess.run([ARGS.klab, "xref", "--build"], env=dict(os.environ, KLAB_CACHE=cache),
                           capture_output=True, text=True, timeout=3600)
        assert p.returncode == 0, p.stderr
        cls.tree = klabtree.Tree(ARGS.src, os.path.dirname(ARGS.klab))
        # the one index: the source pages and the unknown names marked on note pages
        os.symlink(os.path.join(cache, "xref"), os.path.join(cls.tree.cache, "xref"))
        cls.tree.write("notes/gamma.md", GAMMA)
        # a learner's own note: the seed study notes, prose and all
        mine = os.path.join(cls.tree.home, "notes")
        os.makedirs(mine)
        with open(os.path.join(ARGS.src, "tests", "check", "seed", "kernel-notes.md")) as f:
            seed = f.read()
        with open(os.path.join(mine, "kernel-notes.md"), "w") as f:
            f.write(seed)
        cls.srv = klabtree.Server(ARGS.klab, cls.tree)

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        log = cls.srv.stderr()
        cls.tree.remove()
        assert rc == 0, "klab serve exited with %r:\n%s" % (rc, log[-4000:])
        for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error:", "Sanitizer"):
            assert bad not in log, "sanitizer report:\n" + log[-8000:]

    def page(self, path, status=200):
        st, hdr, body = self.srv.request(path)
        self.assertEqual(st, status, "%s answered %d: %s" % (path, st, body[:300]))
        return hdr, body.decode("utf-8")

    def api(self, path, status=200):
        st, hdr, body = self.srv.request(path)
        self.assertEqual(st, status, path)
        self.assertTrue(hdr["content-type"].startswith("application/json"), path)
        return json.loads(body)

    def test_ident_member_initializers(self):
        _, body = self.page("/ident/ppp_channel_ops.start_xmit")
        self.assertIn('href="/source/include/linux/ppp_channel.h#L30"', body)
        self.assertIn("ppp_async_send", body)
        self.assertIn("drivers/net/ppp/pppoe.c", body)
        j = self.api("/api/ident/ppp_channel_ops.start_xmit")
        self.assertEqual(j["name"], "ppp_channel_ops.start_xmit")
        self.assertIn({"file": "include/linux/ppp_channel.h", "line": 30, "kind": "member",
                       "scope": "ppp_channel_ops"}, j["definitions"])
        values = {i["value"] for i in j["initializers"]}
        self.assertTrue({"ppp_async_send", "ppp_sync_send", "pppoe_xmit"} <= values, values)
        for key in ("references", "initializers"):
            for r in j[key]:
                self.assertFalse(r["file"].startswith("/"), r)
                self.assertIsInstance(r["line"], int)

    def test_ident_kinds_and_kernel_doc(self):
        _, body = self.page("/ident/kmalloc")
        self.assertIn('class="xref-doc"', body)
        self.assertIn(">function<", body)
        self.assertIn("include/linux/slab.h", body)
        _, body = self.page("/ident/task_struct")
        self.assertIn(">struct<", body)
        self.assertIn("include/linux/sched.h", body)

    def test_common_names_are_paged(self):
        j = self.api("/api/ident/inode")
        self.assertGreater(j["pages"], 1)
        self.assertGreater(j["reference_files"], 500)
        _, first = self.page("/ident/inode")
        self.assertIn('rel="next" href="?page=2"', first)
        j2 = self.api("/api/ident/inode?page=2")
        self.assertEqual(j2["page"], 2)
        self.assertNotEqual(j["references"][0], j2["references"][0])
        # a page never grows without bound: 200 files of at most 100 lines
        for path in ("/ident/inode", "/ident/NULL", "/api/ident/NULL", "/ident/i?page=3"):
            st, _, body = self.srv.request(path)
            self.assertEqual(st, 200, path)
            self.assertLess(len(body), 4 << 20, path)
        _, body = self.page("/ident/inode?page=99999")
        self.assertIn("page 99999 of", body)
        # every list is paged: definitions (EXPORT_SYMBOL has over 13,000) and initializers
        j = self.api("/api/ident/EXPORT_SYMBOL")
        self.assertGreater(j["definition_total"], 10000)
        self.assertEqual(len(j["definitions"]), 200)
        self.assertGreaterEqual(j["pages"], j["definition_total"] // 200)
        j2 = self.api("/api/ident/EXPORT_SYMBOL?page=2")
        self.assertEqual(len(j2["definitions"]), 200)
        self.assertNotEqual(j["definitions"][0], j2["definitions"][0])
        self.assertEqual([d["file"] for d in j["definitions"]],
                         sorted(d["file"] for d in j["definitions"]))
        j = self.api("/api/ident/data")
        self.assertGreater(j["initializer_total"], 5000)
        self.assertEqual(len(j["initializers"]), 500)

    def test_bad_names(self):
        for name in ["a.b.c", "%3Cscript%3E", "1abc", "a-b", "a%20b", "..", "x" * 200,
                     "a%00b", "%2e%2e%2fetc"]:
            st, hdr, body = self.srv.request("/ident/" + name)
            self.assertIn(st, (400, 404), name)
            if st == 400:
                self.assertIn("Not an identifier", body.decode(), name)
            st, hdr, body = self.srv.request("/api/ident/" + name)
            self.assertIn(st, (400, 404), name)
            self.assertIn("error", json.loads(body) if body.startswith(b"{") else {"error": 1})
        _, body = self.page("/ident/no_such_identifier_xyzzy", 404)
        self.assertIn("never mentions", body)
        self.api("/api/ident/no_such_identifier_xyzzy", 404)

    def test_source_tree_and_file(self):
        _, body = self.page("/source/")
        self.assertIn('href="/source/kernel/"', body)
        self.assertNotIn("arm64", body)
        _, body = self.page("/source/kernel")
        self.assertIn('href="/source/kernel/fork.c"', body)
        _, body = self.page("/source/kernel/fork.c")
        self.assertIn('id="L1"', body)
        self.assertIn('id="L2000"', body)
        self.assertIn('<a href="/ident/copy_process">copy_process</a>', body)
        self.assertIn('class="tok-com"', body)
        self.assertIn('class="tok-kw"', body)

    def test_source_bad_paths(self):
        bad = ["/source/../SECRET.txt", "/source/%2e%2e/SECRET.txt", "/source/%2E%2E/%2E%2E/etc/passwd",
               "/source/kernel/%2e%2e/%2e%2e/SECRET.txt", "/source/kernel/..%2f..%2fSECRET.txt",
               "/source/kernel/fork.c%00", "/source/kernel/fork.c%00.txt", "/source/%00",
               "/source/kernel%5cfork.c", "/source/kernel\\fork.c", "/source//etc/passwd",
               "/source/%2fetc%2fpasswd", "/source/./kernel/fork.c", "/source/kernel/./fork.c",
               "/source/kernel//fork.c", "/source/nosuch.c", "/source/kernel/nosuch.c",
               "/source/etc/passwd", "/source/kernel/fork.c/x", "/source/arch/arm64",
               "/source/" + "a/" * 300, "/source/Documentation/index.rst"]
        bad += ["/source/kernel%5Cfork.c", "/source/%5C", "/source/kernel/fork.c%5c",
                "/source/\\kernel/fork.c", "/source/kernel/fork.c\\", "/source/%00kernel/fork.c",
                "/api/source/kernel%00", "/source/kernel/%01fork.c"]
        for p in bad:
            st, _, body = self.srv.request(p)
            # every form, NUL and backslash raw or percent-encoded too, names no file: 404
            self.assertEqual(st, 404, p)
            self.assertNotIn(b"root:x:0", body, p)
            self.assertNotIn(klabtree.SECRET.encode(), body, p)

    def test_unknown_names_marked_on_note_pages(self):
        _, body = self.page("/notes/gamma")
        mark = '<span class="ident-unknown" title="unknown identifier, did you mean %s?">'
        self.assertIn(mark % "do_group_exit" + "<code>do_greoup_exit()</code></span>", body)
        self.assertIn(mark % "get_signal" + "<code>get_signal_deliver()</code></span>", body)
        self.assertIn('<span class="ident-unknown" title="unknown identifier: not in the 6.1 '
                      'kernel"><code>struct no_such_thing_xyzzy</code></span>', body)
        # a real name is a link, never a mark; a name found unknown is marked in prose too,
        # but the prose of a course note is not looked up
        self.assertIn('<a href="/ident/get_signal"><code>get_signal()</code></a>', body)
        self.assertIn("In prose " + mark % "do_group_exit" + "do_greoup_exit</span> is marked "
                      "too, but no_such_prose_word is not looked up.", body)
        self.assertEqual(body.count('class="ident-unknown"'), 4)
        _, body = self.page("/notes/alpha")
        self.assertNotIn("ident-unknown", body)

    def test_unknown_names_marked_on_my_pages(self):
        _, body = self.page("/my/kernel-notes")
        mark = '<span class="ident-unknown" title="unknown identifier, did you mean %s?">%s</span>'
        # the names the seed misspells, in its prose, each marked with the real one
        self.assertIn(mark % ("get_signal", "get_signal_deliver") + "()", body)
        self.assertIn(mark % ("do_group_exit", "do_greoup_exit") + "()", body)
        self.assertIn(mark % ("signal_struct", "signal_sturct"), body)
        self.assertIn('<span class="ident-unknown" title="unknown identifier: not in the 6.1 '
                      'kernel">do_siganl</span>', body)
        # real names in its prose are left alone
        self.assertIn("ppp_channel_ops", body)
        self.assertNotIn('ident-unknown" title="unknown identifier: not in the 6.1 kernel">'
                         'ppp_channel_ops', body)

    def test_links_from_notes_and_readmes(self):
        _, body = self.page("/notes/alpha")
        self.assertIn('<a href="/ident/spin_lock_irqsave"><code>spin_lock_irqsave()</code></a>',
                      body)
        _, body = self.page("/labs/modules-01")
        self.assertIn('href="/ident/module_param"', body)


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
