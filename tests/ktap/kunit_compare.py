#!/usr/bin/env python3
"""kunit_compare.py - `klab ktap --json` against the kernel's own KUnit parser.

    kunit_compare.py KLAB KUNIT_TOOL_DIR FILE...

For each FILE (KTAP as the kernel printed it: dmesg, debugfs results), parses it
with tools/testing/kunit's kunit_parser.parse_run_tests() (what
`kunit.py parse FILE` runs) and with `klab ktap --json FILE`, and compares the
two trees: names, statuses, subtests, and the overall status. A file listed in
KNOWN_DIFFERENCES must differ exactly as written there (the two parsers read the
kernel's output differently, and ktap.rst says which is right); every other
file must give the same tree. Exit status 1 on the first unexpected result.
"""
import contextlib
import io
import json
import os
import subprocess
import sys

# file -> {path of the test: (kunit.py's status, klab's status)}; path "" is the whole run.
KNOWN_DIFFERENCES = {
    # KUnit in a module prints no top-level header: each suite starts with an
    # indented "    KTAP version 1" and ends with its result at column 0.
    # kunit.py takes everything before "KTAP version" -- the printk timestamp
    # and the 4 spaces of indentation -- for the prefix, and cuts that many
    # characters off every later line: "[ 15.7] ok 7 hlist" loses "ok 7" and
    # every suite's result line is lost (crashed). ktap.rst: indentation is
    # nesting, not prefix; klab strips the timestamp only.
    "kunit-modules.dmesg": {
        "kunit-try-catch-test": ("crashed", "ok"),
        "kunit-resource-test": ("crashed", "ok"),
        "kunit-log-test": ("crashed", "ok"),
        "kunit_status": ("crashed", "ok"),
        "example": ("crashed", "ok"),
        "list-kunit-test": ("crashed", "ok"),
        "hlist": ("crashed", "ok"),
    },
    # The same cut turns "not ok 1 kcap" into "ok 1 kcap": kunit.py calls the
    # failed suite passed (it also never lets a failed case fail its parent).
    "kunit-kcap.dmesg": {
        "kcap": ("ok", "fail"),
    },
    # Linux 6.1's debugfs log of a parameterized case keeps only the last
    # parameter's line ("ok 3 value 3", indented one level deeper than the
    # cases) and no header. kunit.py ignores indentation: it takes "value 3"
    # for the suite's 4th case, then finds no result line named "kcap" and calls
    # the suite crashed. klab reads the deeper indentation as a subtest of the
    # next case, kcap_param, as ktap.rst's nesting rule says ("all lines in a
    # subtest should be indented").
    "debugfs-kcap.ktap": {
        "kcap": ("crashed", "fail"),
        "kcap/*": ("kcap_pass kcap_fail kcap_skip value 3",
                   "kcap_pass kcap_fail kcap_skip kcap_param"),
    },
}

STATUS = {"SUCCESS": "ok", "FAILURE": "fail", "SKIPPED": "skip", "TEST_CRASHED": "crashed",
          "NO_TESTS": "none", "FAILURE_TO_PARSE_TESTS": "none"}


def kunit_tree(tool, path):
    sys.path.insert(0, tool)
    with contextlib.redirect_stdout(io.StringIO()):  # its printer keeps the stdout it found
        import kunit_parser  # noqa: E402 (the kernel's own)
        with open(path, errors="replace") as f:
            test = kunit_parser.parse_run_tests(f.readlines())

    def conv(t):
        return {"name": t.name, "status": STATUS[t.status.name],
                "tests": [conv(s) for s in t.subtests]}
    return {"status": STATUS[test.status.name], "tests": [conv(s) for s in test.subtests]}


def klab_tree(klab, path):
    p = subprocess.run([klab, "ktap", "--json", path], capture_output=True, text=True)
    if p.returncode not in (0, 1):
        sys.exit(f"FAIL klab ktap {path}: exit {p.returncode}\n{p.stderr}")
    return json.loads(p.stdout)


def diff(a, b, path, out):
    """Appends (path, kunit status, klab status) for every test that differs."""
    if a["status"] != b["status"]:
        out.append((path, a["status"], b["status"]))
    names_a = [t["name"] for t in a["tests"]]
    names_b = [t["name"] for t in b["tests"]]
    if names_a != names_b:
        out.append((path + "/*", " ".join(names_a), " ".join(names_b)))
        return
    for x, y in zip(a["tests"], b["tests"]):
        diff(x, y, (path + "/" if path else "") + x["name"], out)


def main():
    klab, tool, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    bad = 0
    for path in files:
        name = os.path.basename(path)
        got = []
        diff(kunit_tree(tool, path), klab_tree(klab, path), "", got)
        want = KNOWN_DIFFERENCES.get(name, {})
        got_map = {p: (a, b) for p, a, b in got}
        if got_map == want:
            what = "same tree" if not want else f"differs as known: {want}"
            print(f"ok   {name}: {what}")
        else:
            bad = 1
            print(f"FAIL {name}: kunit.py vs klab differ at {got_map}, expected {want}")
    sys.exit(bad)


if __name__ == "__main__":
    main()
