#!/usr/bin/env python3
"""run_mynotes_browser.py - your own notes in a real browser: starts `klab serve
--port 0` over a throwaway tree (klabtree.py) with an empty $KLAB_HOME/notes and
runs mynotes.mjs (headless Chromium through playwright-core) against it.
Screenshots go to --shots.

usage: run_mynotes_browser.py --klab PATH/TO/klab --src SOURCE_DIR --shots DIR
Exits 77 (skipped) when node, playwright-core or Chromium is missing.
"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import klabtree  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


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
    tree = klabtree.Tree(args.src, os.path.dirname(os.path.abspath(args.klab)))
    srv = None
    rc = 1
    try:
        srv = klabtree.Server(os.path.abspath(args.klab), tree)
        p = subprocess.run([node, os.path.join(HERE, "mynotes.mjs"), srv.url, args.shots,
                            klabtree.CHROMIUM, os.path.join(tree.base, "chromium-profile")],
                           cwd=HERE, timeout=240)
        rc = p.returncode
        if rc == 0:
            # what the browser saved is in git: three commits, the last one Ctrl-S's
            log = subprocess.run(["git", "-C", os.path.join(tree.home, "notes"), "log",
                                  "--format=%s"], env=tree.env, text=True,
                                 stdout=subprocess.PIPE, check=True).stdout.split("\n")
            if log[:3] != ["Edit signal-delivery-my-way", "Write down the call path",
                           "Add signal-delivery-my-way"]:
                print("unexpected commits: %r" % log)
                rc = 1
    finally:
        rc = klabtree.stop_clean(srv, rc)
        tree.remove()
    print("1 passed, 0 failed" if rc == 0 else "0 passed, 1 failed")
    return rc


if __name__ == "__main__":
    sys.exit(main())
