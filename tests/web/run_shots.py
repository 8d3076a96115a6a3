#!/usr/bin/env python3
"""run_shots.py - screenshots of the real notes and labs (shots.mjs): `klab serve
--port 0` over the source tree itself, with an empty $KLAB_HOME, in headless
Chromium, phone and desktop, light and dark. The screenshots go to --shots for a
person to look at; shots.mjs also checks the site's promises on those pages.

usage: run_shots.py --klab PATH/TO/klab --src SOURCE_DIR --shots DIR
Exits 77 (skipped) when node, playwright-core or Chromium is missing.
"""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import klabtree  # noqa: E402


class RealTree:
    """The source tree as it is, a throwaway home and cache."""

    def __init__(self, src):
        self.base = tempfile.mkdtemp(prefix="klab-shots-")
        os.makedirs(os.path.join(self.base, "home"))
        self.env = dict(os.environ, KLAB_ROOT=os.path.abspath(src),
                        KLAB_HOME=os.path.join(self.base, "home"),
                        KLAB_CACHE=os.path.join(self.base, "cache"), NO_COLOR="1")

    def remove(self):
        shutil.rmtree(self.base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(klabtree.browser_main("shots.mjs", lambda src, bindir: RealTree(src), timeout=280))
