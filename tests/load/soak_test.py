#!/usr/bin/env python3
"""soak_test.py - `klab serve` under load and abuse, on 127.0.0.1 only:

  1. soak: wrk with 256 connections for a bounded time on a mix of pages,
     search and static files: no socket error, no non-2xx/3xx answer, no crash,
     memory flat (VmRSS at start, after a warm-up, and at the end);
  2. slowloris: 200 clients that send their headers a byte at a time, plus
     oversized headers and URLs, while a normal client is still served quickly;
  3. a request body on a route that takes none is refused;
  4. the server binds loopback unless asked, and says so loudly when asked.

    soak_test.py KLAB ROOT [SECONDS]
Prints requests, errors and RSS figures.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

KLAB, ROOT = sys.argv[1], sys.argv[2]
SECONDS = int(sys.argv[3]) if len(sys.argv) > 3 else 15
failures = []


def check(cond, what, detail=""):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)
        if detail:
            print("     " + str(detail)[:1500])


def start(home, *args):
    p = subprocess.Popen([KLAB, "serve", "--port", "0", *args], env=dict(os.environ, KLAB_HOME=home),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    m = re.search(r"http://([\d.]+):(\d+)/", line)
    if not m:
        p.kill()
        sys.exit(f"klab serve did not say where it serves: {line!r} {p.stderr.read()[:2000]}")
    # keep draining stderr (the access log) so the server never blocks on it
    threading.Thread(target=lambda: [None for _ in p.stderr], daemon=True).start()
    return p, m.group(1), int(m.group(2))


def rss_kb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return -1


def get(port, path, timeout=5):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
        return r.status, r.read()


def first_note(port):
    status, body = get(port, "/api/notes")
    m = re.search(rb'"topic":\s*"([a-z0-9_-]+)"', body)
    return m.group(1).decode() if m else "modules"


def soak(pid, port):
    topic = first_note(port)
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    script.write(f"""
paths = {{"/", "/notes/{topic}", "/labs/modules-01", "/search?q=module", "/api/search?q=sig",
         "/static/klab.css", "/api/labs", "/notes/{topic}/history", "/no/such/page"}}
i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
""")
    script.close()
    subprocess.run(["wrk", "-t2", "-c256", "-d3s", "--timeout", "10s", "-s", script.name, f"http://127.0.0.1:{port}/"],
                   capture_output=True)  # warm-up: caches filled
    rss_warm = rss_kb(pid)
    out = subprocess.run(["wrk", "-t2", "-c256", f"-d{SECONDS}s", "--timeout", "10s", "--latency", "-s", script.name,
                          f"http://127.0.0.1:{port}/"], capture_output=True, text=True).stdout
    os.unlink(script.name)
    rss_end = rss_kb(pid)
    reqs = int(re.search(r"(\d+) requests in", out).group(1))
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = sum(int(x) for x in errs.groups()) if errs else 0
    # one path in nine is a deliberate 404
    bad = int(non2xx.group(1)) if non2xx else 0
    print(f"     soak: {reqs} requests in {SECONDS} s at 256 connections, socket errors "
          f"{socket_errors}, non-2xx {bad} (1/9 are deliberate 404s), RSS warm {rss_warm} kB, "
          f"end {rss_end} kB")
    check(reqs > 0 and socket_errors == 0, f"soak: {reqs} requests, no socket error", out)
    check(bad <= reqs // 9 + 256, "soak: only the deliberate 404s fail", out)
    check(rss_end <= rss_warm * 1.5 + 20000, f"soak: memory flat ({rss_warm} -> {rss_end} kB)")


def slowloris(port):
    slow = []
    for _ in range(200):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        slow.append(s)
    stop = threading.Event()

    def drip():
        while not stop.is_set():
            for s in slow:
                try:
                    s.sendall(b"X")
                except OSError:
                    pass
            time.sleep(1)
    t = threading.Thread(target=drip, daemon=True)
    t.start()
    times = []
    for _ in range(10):
        t0 = time.monotonic()
        status, _ = get(port, "/", timeout=10)
        times.append(time.monotonic() - t0)
    check(max(times) < 2, f"slowloris: 200 slow clients, normal requests still answered "
          f"(slowest {max(times) * 1000:.0f} ms)")
    # oversized header and URL
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200000 + b"\r\n\r\n")
    s.settimeout(10)
    try:
        answer = s.recv(100)
    except OSError:
        answer = b""
    check(answer == b"" or re.match(rb"HTTP/1.1 4\d\d", answer),
          f"a 200 kB header is refused ({answer[:30]!r})")
    s.close()
    try:
        status, _ = get(port, "/" + "a" * 100000)
    except urllib.error.HTTPError as e:
        status = e.code
    except (urllib.error.URLError, ConnectionError, OSError):
        status = "closed"
    check(status in (400, 404, 414, 431, "closed"), f"a 100 kB URL is refused ({status})")
    status, _ = get(port, "/")
    check(status == 200, "the server still answers after all that")
    stop.set()
    for s in slow:
        s.close()


def body_refused(port):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/notes/modules", data=b"x" * 1000,
                                 method="POST")
    try:
        status = urllib.request.urlopen(req, timeout=5).status
    except urllib.error.HTTPError as e:
        status = e.code
    check(status in (405, 413), f"a request body on a page is refused ({status})")


def binding(home):
    p, host, port = start(home)
    check(host == "127.0.0.1", f"binds 127.0.0.1 by default ({host})")
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=10)
    p = subprocess.Popen([KLAB, "serve", "--port", "0", "--bind", "0.0.0.0"],
                         env=dict(os.environ, KLAB_HOME=home), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    p.stdout.readline()
    p.send_signal(signal.SIGTERM)
    err = p.communicate(timeout=10)[1]
    check("0.0.0.0" in err and ("WARNING" in err or "warning" in err),
          "binding 0.0.0.0 is said loudly on stderr", err[:500])


def main():
    home = tempfile.mkdtemp(prefix="klab-soak-")
    p, host, port = start(home)
    try:
        rss_start = rss_kb(p.pid)
        print(f"     RSS at start {rss_start} kB")
        soak(p.pid, port)
        slowloris(port)
        body_refused(port)
        check(p.poll() is None, "the server never crashed")
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = "hung"
        check(rc == 0, f"clean shutdown on SIGTERM (exit {rc})")
    binding(home)
    print(f"soak: {len(failures)} check(s) failed" if failures else "soak: all checks passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
