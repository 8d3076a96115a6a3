#!/usr/bin/env python3
"""run_mynotes_browser.py - your own notes in a real browser: starts `klab serve
--port 0` over a throwaway tree (klabtree.py) with no notes of your own yet and
runs mynotes.mjs (headless Chromium through playwright-core) against it, then
reads what the browser saved back with git. Screenshots go to --shots.

usage: run_mynotes_browser.py --klab PATH/TO/klab --src SOURCE_DIR --shots DIR
Exits 77 (skipped) when node, playwright-core or Chromium is missing.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import klabtree  # noqa: E402


def check(tree):
    """Three commits, newest first: Ctrl-S's save, the button's with its message, the new note."""
    log = subprocess.run(["git", "-C", os.path.join(tree.home, "notes"), "log", "--format=%s"],
                         env=tree.env, text=True, stdout=subprocess.PIPE, check=True).stdout
    want = ["Edit signal-delivery-my-way", "Write down the call path",
            "Add signal-delivery-my-way"]
    if log.split("\n")[:3] != want:
        print("unexpected commits in the notes repository: %r" % log)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(klabtree.browser_main("mynotes.mjs", klabtree.Tree, check=check))
