#!/usr/bin/env python3
"""run_shots.py - screenshots of the real notes and labs (shots.mjs): `klab serve
--port 0` over the source tree itself, with an empty $KLAB_HOME, in headless
Chromium, phone and desktop, light and dark. The screenshots go to --shots for a
person to look at; shots.mjs also checks the site's promises on those pages.

usage: run_shots.py --klab PATH/TO/klab --src SOURCE_DIR --shots DIR
Exits 77 (skipped) when node, playwright-core or Chromium is missing.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import klabtree  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CHROMIUM = klabtree.CHROMIUM


class RealTree:
    """The source tree as it is, a throwaway home and cache."""

    def __init__(self, src):
        self.base = tempfile.mkdtemp(prefix="klab-shots-")
        os.makedirs(os.path.join(self.base, "home"))
        self.env = dict(os.environ, KLAB_ROOT=os.path.abspath(src),
                        KLAB_HOME=os.path.join(self.base, "home"),
                        KLAB_CACHE=os.path.join(self.base, "cache"), NO_COLOR="1")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--klab", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--shots", required=True)
    args = ap.parse_args()
    node = klabtree.browser_tools(HERE)
    if not node:
        return 77
    shots = os.path.abspath(args.shots)
    os.makedirs(shots, exist_ok=True)
    tree = RealTree(args.src)
    srv = None
    rc = 1
    try:
        srv = klabtree.Server(os.path.abspath(args.klab), tree)
        p = subprocess.run([node, os.path.join(HERE, "shots.mjs"), srv.url, shots, CHROMIUM,
                            os.path.join(tree.base, "chromium-profile")], cwd=HERE, timeout=280)
        rc = p.returncode
    finally:
        rc = klabtree.stop_clean(srv, rc)
        shutil.rmtree(tree.base, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
