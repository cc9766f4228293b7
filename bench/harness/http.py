"""Over HTTP: a waitress process serving the bench app, a real sign-in, and the load
generators (wrk when installed, else Python threads) with the server's CPU per request."""

from __future__ import annotations

import gzip
import http.client
import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from harness import ADMIN_USERNAME, BENCH, PASSWORD
from harness.measure import USER_AGENT, csrf_of, percentile

STATIC_FILES = ["css/app.css", "css/print.css", "js/app.js", "vendor/htmx/htmx.min.js"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A waitress process (8 threads) serving the bench app: `run.py --serve`."""

    def __init__(self, db_path: Path, serialize_writes: bool, threads: int = 8):
        self.threads = threads
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix="schoolhq-bench-server-", suffix=".log", delete=False)
        env = {**os.environ, "SCHOOLHQ_SERIALIZE_WRITES": "1" if serialize_writes else "0"}
        self.process = subprocess.Popen(
            [sys.executable, str(BENCH / "run.py"), "--serve", str(db_path), "--port", str(self.port),
             "--threads", str(threads)],
            env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                with urllib.request.urlopen(self.base + "/health", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        self._stop()
        raise SystemExit(f"the bench server did not start; see {self.log.name}")

    def __exit__(self, exc_type, *_exc) -> None:
        self._stop()
        if exc_type is None:  # keep the server's log when something went wrong
            os.unlink(self.log.name)
        else:
            print(f"the bench server's log: {self.log.name}", file=sys.stderr)

    def _stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()

    def cpu_seconds(self) -> float:
        """User + system CPU the server has used so far (Linux only; 0 elsewhere)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def memory_mb(self) -> dict[str, float]:
        """VmHWM (peak resident set) and VmRSS of the server, in MB (Linux only)."""
        values = {}
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                key, _, rest = line.partition(":")
                if key in ("VmHWM", "VmRSS"):
                    values[key] = int(rest.split()[0]) / 1024
        except OSError:
            pass
        return values



def sign_in(base: str, username: str = ADMIN_USERNAME) -> dict[str, str]:
    """Sign in through the real stack; returns the headers a signed-in htmx client sends."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    with opener.open(base + "/auth/login") as response:
        token = csrf_of(response.read().decode())
    form = urllib.parse.urlencode({"username": username, "password": PASSWORD, "next": ""}).encode()
    request = urllib.request.Request(base + "/auth/login", data=form, headers={"X-CSRFToken": token})
    with opener.open(request) as response:  # 303 to the dashboard, followed
        if urllib.parse.urlparse(response.url).path != "/":
            raise SystemExit("sign-in over HTTP failed")
        token = csrf_of(response.read().decode())
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return {"Cookie": cookie, "User-Agent": USER_AGENT, "X-CSRFToken": token}


@dataclass
class Load:
    name: str
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    #: a form field given a new value on every request, so every request really writes
    unique_field: str = ""
    #: or bodies taken in turn (for a field that must stay valid, such as a reading)
    bodies: tuple[str, ...] = ()


@dataclass
class Measured:
    """What a load generator saw; errors are non-2xx/3xx answers and socket errors
    (a request still unanswered after 30 s counts as one)."""

    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    requests: int
    errors: int


@dataclass
class LoadResult(Measured):
    load: Load | None = None
    serialize: bool = True
    threads: int = 8
    tool: str = ""
    #: server CPU per request: unlike req/s, hardly moved by other load on the machine
    cpu_ms: float = 0.0


def check_once(base: str, load: Load) -> int:
    """One request before the timed run, so a broken request fails loudly, not fast."""
    connection = http.client.HTTPConnection("127.0.0.1", urllib.parse.urlparse(base).port, timeout=30)
    body = load.body + (f"&{load.unique_field}=check-{time.time_ns()}" if load.unique_field else "")
    connection.request(load.method, load.path, body=body or None, headers=load.headers)
    status = connection.getresponse().status
    connection.close()
    return status


WRK_SCRIPT = """
local counter, threads = 0, 0
local bodies = {{{bodies}}}
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
wrk.method = "{method}"
wrk.body = "{body}"
request = function()
  counter = counter + 1
  if #bodies > 0 then return wrk.format(nil, nil, nil, bodies[counter % #bodies + 1]) end
  if "{unique}" == "" then return wrk.format() end
  return wrk.format(nil, nil, nil, "{body}&{unique}=wrk-" .. tid .. "-" .. counter)
end
"""


def _wrk_seconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def run_wrk(base: str, load: Load, duration: int, connections: int) -> Measured:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT.format(method=load.method, body=load.body, unique=load.unique_field,
                                       bodies=", ".join(f'"{body}"' for body in load.bodies)))
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "30s", "--latency",
               "-s", script.name]
    for key, value in load.headers.items():
        command += ["-H", f"{key}: {value}"]
    output = subprocess.run(command + [base + load.path], capture_output=True, text=True,
                            timeout=duration + 60).stdout
    os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    errors = int((re.search(r"Non-2xx or 3xx responses: (\d+)", output) or [0, 0])[1])
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors += sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    p50 = _wrk_seconds(re.search(r"\s50%\s+(\S+)", output).group(1)) * 1000
    p99 = _wrk_seconds(re.search(r"\s99%\s+(\S+)", output).group(1)) * 1000
    longest = _wrk_seconds(re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", output).group(1)) * 1000
    return Measured(rps, p50, p99, longest, requests, errors)


def run_threads(base: str, load: Load, duration: int, connections: int) -> Measured:
    """The fallback load generator: keep-alive connections, one per thread."""
    port = urllib.parse.urlparse(base).port
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + duration

    def worker(number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, failed, counter = [], 0, 0
        while time.perf_counter() < deadline:
            counter += 1
            body = load.body + (f"&{load.unique_field}=py-{number}-{counter}" if load.unique_field else "")
            if load.bodies:
                body = load.bodies[counter % len(load.bodies)]
            started = time.perf_counter()
            try:
                connection.request(load.method, load.path, body=body or None, headers=load.headers)
                response = connection.getresponse()
                response.read()
                failed += response.status >= 400
            except OSError:
                failed += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    started = time.perf_counter()
    workers = [threading.Thread(target=worker, args=(n,)) for n in range(connections)]
    for worker_thread in workers:
        worker_thread.start()
    for worker_thread in workers:
        worker_thread.join()
    elapsed = time.perf_counter() - started
    return Measured(len(latencies) / elapsed, percentile(latencies, 0.5) * 1000,
                    percentile(latencies, 0.99) * 1000, max(latencies) * 1000, len(latencies), errors[0])


def throughput(server: Server, load: Load, serialize: bool, duration: int) -> LoadResult:
    status = check_once(server.base, load)
    if status >= 400:
        raise SystemExit(f"{load.method} {load.path} answered {status} before the load run")
    tool = "wrk" if shutil.which("wrk") else "python"
    runner = run_wrk if tool == "wrk" else run_threads
    runner(server.base, load, 2, 8)  # warm the server's threads and connections
    cpu = server.cpu_seconds()
    seen = runner(server.base, load, duration, 8)
    cpu_ms = (server.cpu_seconds() - cpu) * 1000 / max(seen.requests, 1)
    return LoadResult(**vars(seen), load=load, serialize=serialize, threads=server.threads, tool=tool,
                      cpu_ms=cpu_ms)


def first_load(base: str) -> list[tuple[str, int, int]]:
    """The sign-in page and every file it loads, raw and gzip-compressed (level 6)."""
    files = [("sign-in page HTML", "/auth/login")] + [(name, "/static/" + name) for name in STATIC_FILES]
    sizes = []
    for label, path in files:
        request = urllib.request.Request(base + path, headers={"User-Agent": USER_AGENT})
        with urllib.request.urlopen(request) as response:
            body = response.read()
        sizes.append((label, len(body), len(gzip.compress(body, compresslevel=6))))
    return sizes


def get_once(base: str, headers: dict[str, str], path: str) -> tuple[int, float, int]:
    """One GET on a fresh connection (a report, the register's export): (status, seconds, bytes)."""
    connection = http.client.HTTPConnection("127.0.0.1", urllib.parse.urlparse(base).port, timeout=120)
    started = time.perf_counter()
    connection.request("GET", path, headers={k: v for k, v in headers.items() if k != "X-CSRFToken"})
    response = connection.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - started
    connection.close()
    return response.status, elapsed, len(body)
