#!/usr/bin/env python3
"""run_browser.py - the real-browser test: starts `klab serve --port 0` over a
throwaway tree (klabtree.py) and runs browser.mjs (headless Chromium through
playwright-core) against it. Screenshots go to --shots.

usage: run_browser.py --klab PATH/TO/klab --src SOURCE_DIR --shots DIR
Exits 77 (skipped) when node, playwright-core or Chromium is missing.
"""
import argparse
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import klabtree  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CHROMIUM = klabtree.CHROMIUM


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--klab", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--shots", required=True)
    args = ap.parse_args()
    node = klabtree.browser_tools(HERE)
    if not node:
        return 77
    args.shots = os.path.abspath(args.shots)
    os.makedirs(args.shots, exist_ok=True)
    # The kernel source pages read the real index (built once when missing).
    cache = os.environ.get("KLAB_CACHE") or os.path.expanduser("~/.cache/klab")
    b = subprocess.run([os.path.abspath(args.klab), "xref", "--build"],
                       env=dict(os.environ, KLAB_CACHE=cache), timeout=3600)
    if b.returncode != 0:
        return 1
    tree = klabtree.Tree(args.src, os.path.dirname(os.path.abspath(args.klab)))
    os.symlink(os.path.join(cache, "xref"), os.path.join(tree.cache, "xref"))
    srv = None
    rc = 1
    try:
        srv = klabtree.Server(os.path.abspath(args.klab), tree)
        p = subprocess.run([node, os.path.join(HERE, "browser.mjs"), srv.url, args.shots,
                            CHROMIUM, os.path.join(tree.base, "chromium-profile")],
                           cwd=HERE, timeout=240)
        rc = p.returncode
    finally:
        rc = klabtree.stop_clean(srv, rc)
        tree.remove()
    print("1 passed, 0 failed" if rc == 0 else "0 passed, 1 failed")
    return rc


if __name__ == "__main__":
    sys.exit(main())
