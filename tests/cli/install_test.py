#!/usr/bin/env python3
"""install_test.py - `cmake --install` puts klab in DIR/bin and its data in
DIR/share/klab (and the guest init in DIR/libexec/klab); the installed klab,
run from / with no KLAB_ROOT, finds them there.

    install_test.py CMAKE BUILD_DIR SOURCE_DIR
"""
import os
import shutil
import subprocess
import sys
import tempfile

CMAKE, BUILD, SRC = sys.argv[1:4]
failures = []


def check(cond, what, detail=""):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)
        if detail:
            print("     " + str(detail)[:3000])


def main():
    tmp = tempfile.mkdtemp(prefix="klab-install-")
    prefix = os.path.join(tmp, "usr")
    try:
        p = subprocess.run([CMAKE, "--install", BUILD, "--prefix", prefix], capture_output=True,
                           text=True)
        check(p.returncode == 0, "cmake --install", p.stdout + p.stderr)
        klab = os.path.join(prefix, "bin", "klab")
        share = os.path.join(prefix, "share", "klab")
        check(os.access(klab, os.X_OK), "bin/klab is there")
        for d in ("labs", "notes", "static", "kernels", "scripts"):
            check(os.path.isdir(os.path.join(share, d)), f"share/klab/{d}")
        check(os.path.isfile(os.path.join(share, "server", "guest", "klab_test.h")),
              "the guest tests' header")
        check(os.access(os.path.join(prefix, "libexec", "klab", "klab-init"), os.X_OK),
              "libexec/klab/klab-init")
        env = {k: v for k, v in os.environ.items() if k != "KLAB_ROOT"}
        env.update(KLAB_HOME=os.path.join(tmp, "home"), NO_COLOR="1",
                   PATH=os.path.join(prefix, "bin") + ":" + os.environ.get("PATH", ""))
        p = subprocess.run(["klab", "list"], cwd="/", env=env, capture_output=True, text=True)
        labs = sorted(d for d in os.listdir(os.path.join(SRC, "labs"))
                      if os.path.exists(os.path.join(SRC, "labs", d, "README.md")))
        check(p.returncode == 0 and all(l in p.stdout for l in labs),
              "installed klab, run from /, lists the labs", p.stdout + p.stderr)
        p = subprocess.run(["klab", "doctor"], cwd="/", env=env, capture_output=True, text=True)
        check(f"source {share}" in p.stdout, "it reads its data from share/klab", p.stdout)
        check("klab-init" in p.stdout and "missing" not in p.stdout.split("klab-init")[0][-80:],
              "it finds its guest init", p.stdout)
        p = subprocess.run(["klab", "hint", "modules-01"], cwd="/", env=env, capture_output=True,
                           text=True)
        check(p.returncode == 0 and "Hint 1" in p.stdout, "hint reads share/klab/labs", p.stderr)
        p = subprocess.run(["klab", "search", "--json", "spin_lock"], cwd="/", env=env,
                           capture_output=True, text=True)
        check(p.returncode == 0 and "notes/" in p.stdout or "/notes/" in p.stdout,
              "search indexes share/klab/notes", p.stdout + p.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"install: {len(failures)} check(s) failed" if failures else "install: all checks passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
