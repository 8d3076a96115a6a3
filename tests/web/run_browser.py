#!/usr/bin/env python3
"""run_browser.py - the real-browser test: starts `klab serve --port 0` over a
throwaway tree (klabtree.py) and runs browser.mjs (headless Chromium through
playwright-core) against it. Screenshots go to --shots.

usage: run_browser.py --klab PATH/TO/klab --src SOURCE_DIR --shots DIR
Exits 77 (skipped) when node, playwright-core or Chromium is missing.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import klabtree  # noqa: E402


def link_xref(args, tree):
    """The kernel source pages read the real index (built once when missing)."""
    cache = os.environ.get("KLAB_CACHE") or os.path.expanduser("~/.cache/klab")
    b = subprocess.run([args.klab, "xref", "--build"],
                       env=dict(os.environ, KLAB_CACHE=cache), timeout=3600)
    if b.returncode != 0:
        return 1
    os.symlink(os.path.join(cache, "xref"), os.path.join(tree.cache, "xref"))
    return 0


if __name__ == "__main__":
    sys.exit(klabtree.browser_main("browser.mjs", klabtree.Tree, prepare=link_xref))
