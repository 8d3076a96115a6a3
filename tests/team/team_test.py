#!/usr/bin/env python3
"""team_test.py - team onboarding without booting a VM.

    team_test.py KLAB ROOT

Layered content (KLAB_PATH: a team's lab, note and track beside klab's own, the
first folder winning a clash, KLAB_ROOT still alone); tracks (`klab next`,
`klab read`, broken track files); `klab push` to bare repositories and
`klab team --json` over two learners; hostile learner repositories (huge
numbers, wrong types, deep nesting, duplicate keys, a symlink, missing branch
and file, a hostile name, over 1 MB): each an error for that learner alone,
never a crash, never a wrong row for the good learner beside it; the site's
/tracks, the note's read button (same-origin POST) and /team; the CI
examples parse as YAML and grade with `klab run --junit`.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

from teamlib import check, finish, run_klab, write

KLAB, ROOT = sys.argv[1], sys.argv[2]
def klab(env, *args, timeout=900):
    return run_klab(KLAB, env, *args, timeout=timeout)


def git(*args, cwd=None, input=None):
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True,
                          input=input, env=dict(os.environ, GIT_AUTHOR_NAME="t",
                                                GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
                                                GIT_COMMITTER_EMAIL="t@t")).stdout



def team_layer(tmp):
    """A team's content folder: a lab of its own, one that shadows modules-01, a note, a track."""
    layer = os.path.join(tmp, "team")
    src = os.path.join(ROOT, "labs", "modules-01")
    for lab, title in (("acme-01", "Acme driver basics"), ("modules-01", "Acme's own first module")):
        d = os.path.join(layer, "labs", lab)
        shutil.copytree(src, d)
        readme = open(os.path.join(d, "README.md")).read()
        readme = readme.replace("id: modules-01", "id: " + lab, 1)
        readme = readme.replace('title: "Your first module: parameters and messages"',
                                'title: "%s"' % title, 1)
        write(os.path.join(d, "README.md"), readme)
    write(os.path.join(layer, "notes", "acme.md"),
          "---\ntitle: The Acme driver\ntopic: acme\norder: 50\nlabs: [acme-01]\ntags: []\n---\n"
          "# The Acme driver\n\nOur subsystem, for new engineers: see [the lab](lab:acme-01).\n")
    write(os.path.join(layer, "tracks", "acme.yaml"),
          "title: Acme onboarding\nsteps:\n  - note: modules\n  - note: acme\n  - lab: acme-01\n")
    return layer


def test_layers(env, layer):
    plain = dict(env)
    r = klab(plain, "list", "--json")
    own = {l["id"]: l for l in json.loads(r.stdout)}
    env = dict(env, KLAB_PATH=layer)
    r = klab(env, "list", "--json")
    check(r.returncode == 0, "layers: klab list with KLAB_PATH", r.stderr)
    labs = {l["id"]: l for l in json.loads(r.stdout)} if r.returncode == 0 else {}
    check("acme-01" in labs and "acme-01" not in own, "layers: the team's own lab is listed")
    check(labs.get("modules-01", {}).get("title") == "Acme's own first module",
          "layers: the first folder wins a clash (the team's modules-01)",
          labs.get("modules-01"))
    check(set(own) <= set(labs), "layers: klab's own labs are all still there")
    r = klab(env, "search", "--json", "Acme")
    check(r.returncode == 0 and "/notes/acme" in r.stdout, "layers: the team's note is searched",
          r.stdout + r.stderr)
    r = klab(dict(env, KLAB_PATH=layer + ":" + os.path.join(layer, "nope")), "list")
    check(r.returncode == 2 and "KLAB_PATH" in r.stderr and "nope" in r.stderr,
          "layers: a KLAB_PATH folder that does not exist is named", r.stderr)
    only_root = dict(plain, KLAB_ROOT=ROOT)
    r = klab(only_root, "list", "--json")
    check(r.returncode == 0 and {l["id"] for l in json.loads(r.stdout)} == set(own),
          "layers: KLAB_ROOT alone still works", r.stderr)
    r = klab(env, "new", "lab", "acme-01", "--topic", "acme")
    check(r.returncode == 2 and "already" in r.stderr, "new: an existing lab id is refused",
          r.stderr)
    r = klab(plain, "new", "lab", "zz-01", "--topic", "acme")
    check(r.returncode == 2 and "KLAB_PATH" in r.stderr, "new: needs KLAB_PATH", r.stderr)


def test_tracks(env, layer):
    env = dict(env, KLAB_PATH=layer)
    r = klab(env, "next", "--json")
    nxt = json.loads(r.stdout) if r.returncode == 0 else {}
    check(nxt.get("track") == "acme" and nxt.get("next") == {"note": "modules"},
          "next: the team's track first, its first step", r.stdout + r.stderr)
    check(klab(env, "read", "modules").returncode == 0, "read: marks a note read")
    nxt = json.loads(klab(env, "next", "--json").stdout)
    check(nxt["next"] == {"note": "acme"} and nxt["done"] == 1, "next: moves past a read note",
          nxt)
    klab(env, "read", "acme")
    r = klab(env, "next")
    check("next: lab acme-01" in r.stdout and "2 of 3" in r.stdout,
          "next: a lab not passed yet is next", r.stdout)
    r = klab(env, "next", "--track", "first-steps", "--json")
    fs = json.loads(r.stdout) if r.returncode == 0 else {}
    check(fs.get("next") == {"note": "environment"} and fs.get("done") == 1,
          "next --track first-steps: klab's own track, modules read counts there too", r.stdout)
    r = klab(env, "next", "--list")
    check("acme" in r.stdout and "first-steps" in r.stdout, "next --list: every track",
          r.stdout)
    r = klab(env, "read", "no-such-note")
    check(r.returncode == 2 and "no note" in r.stderr, "read: an unknown note is refused",
          r.stderr)
    bad = {
        "steps-not-list": "title: x\nsteps: 3\n",
        "unknown-key": "title: x\nsteps:\n  - note: modules\nfoo: 1\n",
        "bad-step": "title: x\nsteps:\n  - video: modules\n",
        "two-keys": "title: x\nsteps:\n  - note: modules\n    lab: modules-01\n",
        "alias": "title: &a x\nsteps:\n  - note: *a\n",
        "no-title": "steps:\n  - note: modules\n",
        "not-yaml": "title: [x\n",
    }
    for name, text in bad.items():
        write(os.path.join(layer, "tracks", name + ".yaml"), text)
        r = klab(env, "next", "--track", name)
        check(r.returncode == 2 and name + ".yaml" in r.stderr,
              "next: a broken track (%s) is an error naming its file" % name, r.stderr)
        os.unlink(os.path.join(layer, "tracks", name + ".yaml"))


def progress_repo(path, files, branch="progress"):
    """A learner's repository whose branch holds files (name -> text, or ('link', target))."""
    work = path + ".work"
    git("init", "-q", work)
    for name, content in files.items():
        p = os.path.join(work, name)
        if isinstance(content, tuple):
            os.symlink(content[1], p)
        else:
            write(p, content)
    git("add", "-A", cwd=work)
    git("commit", "-q", "--allow-empty", "-m", "x", cwd=work)
    git("clone", "-q", "--bare", work, path)
    git("update-ref", "refs/heads/" + branch, "HEAD", cwd=path)
    return path


def good_json(name="Eve", best=3):
    return json.dumps({"format": 1, "learner": name, "last_activity": 1700000000,
                       "labs": {"modules-01": {"status": "failed", "best": best, "max": 16,
                                               "attempts": 5, "last_at": 1700000000,
                                               "scores": [best, 0, 1, 2, 3]}},
                       "notes_read": {"modules": 1600000000}})


def test_push_team(env, tmp):
    a, b = os.path.join(tmp, "a.git"), os.path.join(tmp, "b.git")
    git("init", "-q", "--bare", a)
    git("init", "-q", "--bare", b)
    ha = dict(env, KLAB_HOME=os.path.join(tmp, "ha"), KLAB_LEARNER="Ada")
    hb = dict(env, KLAB_HOME=os.path.join(tmp, "hb"), KLAB_LEARNER="Bob")
    r = klab(dict(ha, KLAB_LEARNER="", HOME=tmp), "push", "--remote", a)
    check(r.returncode == 2 and "KLAB_LEARNER" in r.stderr, "push: without a name says how to "
          "give one", r.stdout + r.stderr)
    klab(ha, "read", "modules")
    klab(hb, "read", "signals")
    r = klab(ha, "push", "--remote", a)
    check(r.returncode == 0 and "Ada" in r.stdout, "push: to a bare repository", r.stderr)
    check(klab(hb, "push", "--remote", b).returncode == 0, "push: a second learner")
    klab(hb, "read", "files")
    r = klab(hb, "push")
    check(r.returncode == 0 and b in r.stdout, "push: the remote is remembered", r.stderr)
    shown = json.loads(git("show", "progress:progress.json", cwd=b))
    check(shown["learner"] == "Bob" and set(shown["notes_read"]) == {"signals", "files"},
          "push: progress.json on the branch progress of the remote", shown)
    r = klab(env, "team", "--json", a, "file://" + b)
    check(r.returncode == 0, "team --json over two learners (a folder, a URL)", r.stderr)
    out = json.loads(r.stdout) if r.returncode == 0 else {"learners": []}
    names = [l.get("name") for l in out["learners"]]
    check(names == ["Ada", "Bob"], "team: one learner each, in order", names)
    for l in out["learners"]:
        m = l["labs"].get("modules-01", {})
        check(m.get("status") == "not started" and m.get("max") == 16 and m.get("attempts") == 0
              and l["last_activity"] > 0,
              "team: %s's rows: not started, the catalog's max, last activity" % l["name"], l)
    return a


def test_hostile(env, tmp, good):
    deep = '{"format":1,"learner":"x","labs":' + "[" * 5000 + "]" * 5000 + "}"
    big = json.dumps({"format": 1, "learner": "x", "labs": {}, "pad": "x" * (1 << 20)})
    cases = {
        "huge-number": good_json().replace('"best": 3', '"best": 99999999999999999999999'),
        "negative": good_json().replace('"attempts": 5', '"attempts": -5'),
        "string-best": good_json().replace('"best": 3', '"best": "3"'),
        "real-best": good_json().replace('"best": 3', '"best": 3.5'),
        "labs-list": json.dumps({"format": 1, "learner": "x", "labs": []}),
        "status-wrong": good_json().replace('"failed"', '"PASSED!"'),
        "best-over-max": good_json(best=17),
        "deep": deep,
        "duplicate-keys": '{"format":1,"learner":"x","learner":"y","labs":{}}',
        "name-control": json.dumps({"format": 1, "learner": "evil\x1b[2J", "labs": {}}),
        "name-long": json.dumps({"format": 1, "learner": "x" * 500, "labs": {}}),
        "format-2": good_json().replace('"format": 1', '"format": 2'),
        "not-json": "{\"format\": 1, ",
        "too-big": big,
        "scores-strings": good_json().replace("[3, 0, 1, 2, 3]", '["a"]'),
    }
    repos = []
    for name, text in cases.items():
        repos.append((name, progress_repo(os.path.join(tmp, name + ".git"),
                                          {"progress.json": text})))
    secret = os.path.join(tmp, "secret.json")
    write(secret, good_json("Mallory", 16))
    repos.append(("symlink", progress_repo(os.path.join(tmp, "symlink.git"),
                                           {"progress.json": ("link", secret)})))
    repos.append(("missing-file", progress_repo(os.path.join(tmp, "missing-file.git"),
                                                {"other.txt": "x"})))
    repos.append(("no-branch", progress_repo(os.path.join(tmp, "no-branch.git"),
                                             {"progress.json": good_json()}, branch="main")))
    os.makedirs(os.path.join(tmp, "not-git"))
    repos.append(("not-git", os.path.join(tmp, "not-git")))
    # the learner with unknown labs: ignored, never rows
    extra = json.loads(good_json("Zed"))
    extra["labs"]["no-such-lab"] = {"status": "passed", "best": 1, "max": 1, "attempts": 1,
                                    "last_at": 1}
    zed = progress_repo(os.path.join(tmp, "zed.git"), {"progress.json": json.dumps(extra)})
    args = [good] + [p for _, p in repos] + [zed, good]
    r = klab(env, "team", "--json", *args)
    check(r.returncode == 1, "hostile: exit status 1 when some learner cannot be read",
          r.returncode)
    try:
        out = json.loads(r.stdout)
    except json.JSONDecodeError:
        check(False, "hostile: klab team --json still prints JSON", r.stdout[:500] + r.stderr)
        return
    ls = out["learners"]
    check(len(ls) == len(args), "hostile: one entry per source", len(ls))
    check(ls[0].get("name") == "Ada" and ls[-1].get("name") == "Ada" and
          ls[0]["labs"] == ls[-1]["labs"], "hostile: the good learner's rows are untouched")
    for (name, _), l in zip(repos, ls[1:]):
        check(l.get("error") and l.get("name") is None and "labs" not in l,
              "hostile: %s gives an error for that learner only (%s)"
              % (name, (l.get("error") or "")[:70]), l)
    z = ls[-2]
    check(z.get("name") == "Zed" and "no-such-lab" not in z["labs"] and
          z["labs"]["modules-01"]["stuck"] is True,
          "hostile: labs not in the catalog are ignored; 4 attempts since the best is stuck", z)
    r = klab(env, "team", *args)
    check(r.returncode == 1 and "\x1b" not in r.stdout and "Mallory" not in r.stdout,
          "hostile: the human report shows no control characters, no symlink target", r.stdout)


def http(url, method="GET", headers=None):
    req = urllib.request.Request(url, method=method, headers=headers or {},
                                 data=b"" if method == "POST" else None)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None
    try:
        with urllib.request.build_opener(NoRedirect).open(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def test_site(env, layer, team_repos):
    """The site: tracks with progress, the note's read button (POST), /team."""
    env = dict(env, KLAB_PATH=layer)
    srv = subprocess.Popen([KLAB, "serve", "--port", "0", "--quiet", "--team", *team_repos],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = srv.stdout.readline()
        base = line.split("serving ", 1)[1].strip().rstrip("/") if "serving" in line else None
        check(base is not None, "site: klab serve --team starts", line + srv.stderr.read()
              if base is None else "")
        if base is None:
            return
        st, _, body = http(base + "/tracks")
        check(st == 200 and "Acme onboarding" in body and "first-steps" in body,
              "site: /tracks lists the team's track and klab's own", body[:300])
        st, _, body = http(base + "/tracks/acme")
        check(st == 200 and "2 of 3 steps done" in body and 'class="step next"' in body
              and "/labs/acme-01" in body, "site: /tracks/acme shows progress and the next step")
        check(http(base + "/tracks/nope")[0] == 404, "site: an unknown track is a 404")
        st, _, body = http(base + "/notes/signals")
        check(st == 200 and 'action="/notes/signals/read"' in body,
              "site: a note not read has its Mark as read button")
        m = re.search(r'name="token" value="([0-9a-f]{64})"', body)
        check(m is not None, "site: the button's form carries the session's token")
        token = {"X-Klab-Token": m.group(1) if m else ""}
        st, _, _ = http(base + "/notes/signals/read", "POST", token)
        check(st == 403, "site: a POST without Origin is refused", st)
        st, _, _ = http(base + "/notes/signals/read", "POST",
                        dict(token, Origin="http://evil.example"))
        check(st == 403, "site: a POST from another origin is refused", st)
        st, _, _ = http(base + "/notes/signals/read", "POST", {"Origin": base})
        check(st == 403, "site: a POST without the token is refused", st)
        st, hdr, _ = http(base + "/notes/signals/read", "POST", dict(token, Origin=base))
        check(st == 303 and hdr.get("Location") == "/notes/signals#read",
              "site: the button marks the note read and goes back", (st, hdr))
        st, _, body = http(base + "/notes/signals")
        check('class="read read-done"' in body, "site: the note page then says it was read")
        check(http(base + "/notes/nope/read", "POST", dict(token, Origin=base))[0] == 404,
              "site: marking an unknown note is a 404")
        r = klab(env, "next", "--track", "first-steps", "--json")
        check('"signals","done":true' in r.stdout.replace(" ", ""),
              "site: what the site marked, klab next sees")
        klab(env, "read", "acme")
        st, _, body = http(base + "/notes/acme")
        check('class="read read-done"' in body, "site: a note read with `klab read` shows read "
              "(cached pages follow the progress store)")
        st, _, body = http(base + "/team")
        check(st == 200 and ">Ada<" in body and ">Bob<" in body and "cannot read" in body,
              "site: /team shows the learners and a per-learner error", body[-600:])
    finally:
        srv.terminate()
        srv.wait(timeout=30)


def test_ci_yaml():
    import yaml
    for name in ("github-actions.yml", "gitlab-ci.yml"):
        path = os.path.join(ROOT, "examples", "ci", name)
        try:
            doc = yaml.safe_load(open(path))
        except yaml.YAMLError as e:
            check(False, "ci: %s parses as YAML" % name, e)
            continue
        check(isinstance(doc, dict), "ci: %s parses as YAML" % name)
        text = open(path).read()
        check("klab run" in text and "--junit" in text, "ci: %s grades with klab run --junit"
              % name)
    gl = yaml.safe_load(open(os.path.join(ROOT, "examples", "ci", "gitlab-ci.yml")))
    check(gl["grade"]["artifacts"]["reports"]["junit"] == "junit-*.xml",
          "ci: the GitLab job publishes the JUnit report")
    gh = yaml.safe_load(open(os.path.join(ROOT, "examples", "ci", "github-actions.yml")))
    steps = gh["jobs"]["grade"]["steps"]
    check(any("junit" in str(s.get("uses", "")) for s in steps),
          "ci: the GitHub workflow publishes the JUnit report")
    r = subprocess.run([KLAB, "run", "--help"], capture_output=True, text=True)
    check("--junit FILE" in r.stdout, "ci: klab run has --junit")


def main():
    with tempfile.TemporaryDirectory(prefix="klab-team-") as tmp:
        env = dict(os.environ, KLAB_HOME=os.path.join(tmp, "home"), NO_COLOR="1",
                   KLAB_CACHE=os.path.join(tmp, "cache"), HOME=tmp)
        env.pop("KLAB_PATH", None)
        env.pop("KLAB_LEARNER", None)
        env.pop("KLAB_ROOT", None)
        layer = team_layer(tmp)
        test_layers(env, layer)
        test_tracks(env, layer)
        good = test_push_team(env, tmp)
        test_hostile(env, tmp, good)
        test_site(env, layer, [good, os.path.join(tmp, "b.git"),
                               os.path.join(tmp, "not-git")])
    test_ci_yaml()
    finish()


if __name__ == "__main__":
    main()
