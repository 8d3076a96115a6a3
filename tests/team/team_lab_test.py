#!/usr/bin/env python3
"""team_lab_test.py - team onboarding through real runs (QEMU under TCG).

    team_lab_test.py KLAB ROOT

`klab new lab` into a team's folder, the scaffold filled in (a task of the
team's own, a second wrong variant), then `klab verify` holds; a variant whose
expectation is wrong makes it not hold. Two learners run the lab (one passes,
one keeps failing), `klab next` moves past the passed lab, both push to bare
repositories and `klab team --json` shows passed and stuck. The GitLab job's
script steps run here, as a shell runner would, on a workspace that passes and
one that fails, and their JUnit reports are read back.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

import yaml

from teamlib import check, finish, run_klab, write

KLAB, ROOT = sys.argv[1], sys.argv[2]
def klab(env, *args, timeout=900):
    return run_klab(KLAB, env, *args, timeout=timeout)



def new_and_verify(env, layer):
    r = klab(env, "new", "lab", "acme-02", "--topic", "modules", "--title", "Acme limits")
    check(r.returncode == 0, "new: writes the lab", r.stdout + r.stderr)
    lab = os.path.join(layer, "labs", "acme-02")
    # fill it in: the team's own words, and one more plausible mistake
    readme = open(os.path.join(lab, "README.md")).read()
    write(os.path.join(lab, "README.md"),
          readme.replace("Write `acme_02.c`", "Acme's drivers take a limit. Write `acme_02.c`"))
    sol = open(os.path.join(lab, "solution", "acme_02.c")).read()
    with tempfile.TemporaryDirectory() as t:
        write(os.path.join(t, "a", "acme_02.c"), sol)
        write(os.path.join(t, "b", "acme_02.c"),
              sol.replace('\tpr_info("ready, limit=%d\\n", limit);\n', ""))
        diff = subprocess.run(["diff", "-u", "a/acme_02.c", "b/acme_02.c"], cwd=t,
                              capture_output=True, text=True).stdout
    check("-\tpr_info(\"ready" in diff, "new: the second variant's patch is made")
    write(os.path.join(lab, "wrong", "silent", "change.patch"), diff)
    write(os.path.join(lab, "wrong", "silent", "expect"), "fail\nready_message\n")
    r = klab(env, "list", "--json")
    check(any(l["id"] == "acme-02" and l["title"] == "Acme limits" for l in json.loads(r.stdout)),
          "new: the lab is in klab list", r.stdout[:300])
    r = klab(env, "verify", "acme-02")
    lines = [l for l in r.stdout.splitlines() if l.startswith(("ok", "FAIL"))]
    check(r.returncode == 0 and len(lines) == 4 and all(l.startswith("ok") for l in lines)
          and "acme-02 holds" in r.stdout,
          "verify: skeleton fails, solution passes, both variants caught", r.stdout + r.stderr)
    # an expectation the lab does not meet: verify says so, with what the run got
    write(os.path.join(lab, "wrong", "wrong-expect", "change.patch"), diff)
    write(os.path.join(lab, "wrong", "wrong-expect", "expect"), "fault\n")
    r = klab(env, "verify", "acme-02", "wrong-expect")
    check(r.returncode == 1 and "FAIL acme-02: wrong variant wrong-expect gets fault" in r.stdout
          and "verdict=fail" in r.stdout and "does not hold" in r.stdout,
          "verify: a variant that does not get its verdict fails the lab", r.stdout + r.stderr)
    shutil.rmtree(os.path.join(lab, "wrong", "wrong-expect"))
    return lab


def learners(env, layer, lab, tmp):
    write(os.path.join(layer, "tracks", "acme.yaml"),
          "title: Acme\nsteps:\n  - lab: acme-02\n  - note: modules\n")
    repos = []
    for name, src, runs in (("Ada", os.path.join(lab, "solution"), 1), ("Bob", lab, 2)):
        e = dict(env, KLAB_HOME=os.path.join(tmp, "home-" + name), KLAB_LEARNER=name)
        for _ in range(runs):
            klab(e, "run", "acme-02", "--src", src)
        shown = subprocess.run(["git", "--git-dir", os.path.join(e["KLAB_HOME"], "attempts.git"),
                                "show", "progress:progress.json"], capture_output=True, text=True)
        summary = json.loads(shown.stdout) if shown.returncode == 0 else {}
        check(summary.get("labs", {}).get("acme-02", {}).get("attempts") == runs,
              "run: %s's attempts repository carries progress.json after each run" % name,
              shown.stdout + shown.stderr)
        repo = os.path.join(tmp, name + ".git")
        subprocess.run(["git", "init", "-q", "--bare", repo], check=True)
        r = klab(e, "push", "--remote", repo)
        check(r.returncode == 0, "push: %s to a bare repository" % name, r.stderr)
        nxt = json.loads(klab(e, "next", "--track", "acme", "--json").stdout)
        want = {"note": "modules"} if name == "Ada" else {"lab": "acme-02"}
        check(nxt["next"] == want, "next: %s's next step is %s" % (name, want), nxt)
        repos.append(repo)
    r = klab(env, "team", "--json", "--stuck", "2", *repos)
    out = json.loads(r.stdout) if r.returncode == 0 else {"learners": [{}, {}]}
    a, b = out["learners"]
    la, lb = a.get("labs", {}).get("acme-02", {}), b.get("labs", {}).get("acme-02", {})
    check(r.returncode == 0 and la.get("status") == "passed" and la.get("best") == 5 and
          la.get("max") == 5 and la.get("attempts") == 1 and not la.get("stuck"),
          "team: Ada passed 5/5 in one attempt", a)
    check(lb.get("status") == "failed" and lb.get("attempts") == 2 and lb.get("best") < 5 and
          lb.get("stuck") is True and b.get("stuck") == ["acme-02"],
          "team: Bob failed twice without progress: stuck", b)
    r = klab(env, "team", "--stuck", "2", *repos)
    check("STUCK" in r.stdout and "Ada" in r.stdout, "team: the report flags Bob", r.stdout)


def gitlab_job(env, tmp):
    """The GitLab job's script steps, run as a shell runner would, in a workspace."""
    job = yaml.safe_load(open(os.path.join(ROOT, "examples", "ci", "gitlab-ci.yml")))["grade"]
    bindir = os.path.join(tmp, "bin")
    os.makedirs(bindir, exist_ok=True)
    if not os.path.exists(os.path.join(bindir, "klab")):
        os.symlink(os.path.abspath(KLAB), os.path.join(bindir, "klab"))
    results = {}
    for case, source in (("pass", os.path.join(ROOT, "tests", "solutions", "modules-01")),
                         ("fail", os.path.join(ROOT, "labs", "modules-01"))):
        ws = os.path.join(tmp, "ws-" + case)
        os.makedirs(os.path.join(ws, "modules-01", "tests"))
        os.makedirs(os.path.join(ws, "notes"))  # not a lab copy: not graded
        shutil.copy(os.path.join(source, "hello.c"), os.path.join(ws, "modules-01"))
        shutil.copy(os.path.join(ROOT, "server", "guest", "klab_test.h"),
                    os.path.join(ws, "modules-01", "tests"))
        e = dict(env, PATH=bindir + ":" + os.environ["PATH"], CI_PROJECT_DIR=ws)
        for k, v in job["variables"].items():
            e[k] = os.path.expandvars(v.replace("$CI_PROJECT_DIR", ws))
        rc = 0
        for step in job["script"]:
            p = subprocess.run(["bash", "-e", "-c", step], cwd=ws, env=e, capture_output=True,
                               text=True, timeout=900)
            rc = p.returncode
            if rc:
                break
        junit = os.path.join(ws, "junit-modules-01.xml")
        cases = ET.parse(junit).getroot().iter("testcase") if os.path.exists(junit) else []
        failed = [c.get("name") for c in cases if c.find("failure") is not None]
        results[case] = (rc, os.path.exists(junit), failed, p.stdout + p.stderr)
    rc, have, failed, out = results["pass"]
    check(rc == 0 and have and not failed, "ci: the GitLab job passes a solved workspace, "
          "JUnit report with no failure", out)
    rc, have, failed, out = results["fail"]
    check(rc != 0 and have and failed, "ci: the GitLab job fails a skeleton workspace, its "
          "JUnit report names the failed tests (%d)" % len(failed), out)


def main():
    with tempfile.TemporaryDirectory(prefix="klab-team-lab-") as tmp:
        layer = os.path.join(tmp, "team")
        os.makedirs(layer)
        env = dict(os.environ, KLAB_HOME=os.path.join(tmp, "home"), NO_COLOR="1",
                   KLAB_PATH=layer)
        env.pop("KLAB_LEARNER", None)
        lab = new_and_verify(env, layer)
        learners(env, layer, lab, tmp)
        env.pop("KLAB_PATH")
        gitlab_job(env, tmp)
    finish()


if __name__ == "__main__":
    main()
