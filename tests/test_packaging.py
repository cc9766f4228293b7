"""`pip install .` gives a working SchoolHQ: the wheel holds the templates, static files,
migrations, translations and every area's data files, and installed into a fresh
virtualenv it prints its version, initialises a school and serves a signed-in page in
Chinese, logging each request.

Building needs setuptools (the test extras bring it), so no build backend is fetched;
the fresh virtualenv gets the dependencies from pip's index, through pip's cache."""

from __future__ import annotations

import http.cookiejar
import importlib.metadata
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.conftest import PG_URL, ROOT

pytestmark = pytest.mark.wheel

#: what the source tree holds that a wheel does not need (copying it would only take time)
NOT_BUILT_FROM = shutil.ignore_patterns(".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__",
                                        "*.pyc", "instance", "tests", "bench", ".pytest_cache", ".ruff_cache",
                                        "node_modules", "screenshots")
NETWORK_TROUBLE = ("NewConnectionError", "Network is unreachable", "Temporary failure in name resolution",
                   "ConnectTimeoutError", "ReadTimeoutError", "ProxyError")
ADMIN, PASSWORD = "itadmin", "long-enough-1"


def _offline_build_possible() -> str | None:
    try:
        have = importlib.metadata.version("setuptools")
    except importlib.metadata.PackageNotFoundError:
        return "setuptools is not installed (pip install -e '.[test]' brings it)"
    if int(have.split(".")[0]) < 77:
        return f"setuptools {have} is older than the 77 the build needs (pip install -e '.[test]')"
    return None


def _run(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=300, **kwargs)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    if reason := _offline_build_possible():
        pytest.skip(reason)
    work = tmp_path_factory.mktemp("wheel")
    # A copy, so the build leaves no build/ behind in the checkout and takes none from it.
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=NOT_BUILT_FROM)
    built = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                 "-w", work / "dist", source, cwd=work)
    assert built.returncode == 0, built.stdout + built.stderr
    (found,) = (work / "dist").glob("schoolhq-*.whl")
    return found


def _source_files(*patterns: str) -> set[str]:
    return {path.relative_to(ROOT).as_posix() for pattern in patterns for path in ROOT.glob(pattern)
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"}


def test_the_wheel_holds_what_the_app_needs_to_run(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    data = _source_files("schoolhq/*/data/**/*")
    assert "schoolhq/checks/data/check-packs.yaml" in data
    assert not data - names, f"area data files missing from the wheel: {sorted(data - names)}"
    code = _source_files("schoolhq/**/*.py")
    assert not code - names, sorted(code - names)
    assert "schoolhq/translations/zh_Hans_CN/LC_MESSAGES/messages.mo" in names
    # templates/, static/ and migrations/ of the repository, inside the package
    for folder in ("templates", "static", "migrations"):
        files = _source_files(f"{folder}/**/*")
        assert files and not {f"schoolhq/{f}" for f in files} - names, folder
    assert any(n.startswith("schoolhq-") and n.endswith("/licenses/LICENSE") for n in names), sorted(names)
    assert not [n for n in names if n.startswith(("tests/", "templates/", "static/", "migrations/"))
                or "__pycache__" in n or n.endswith(".po")]
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    with zipfile.ZipFile(wheel) as archive:
        assert "License-Expression: MIT" in archive.read(metadata).decode()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(opener, url: str, data: dict | None = None, headers: dict | None = None):
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=headers or {})
    try:
        with opener.open(request, timeout=20) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


@pytest.mark.skipif(bool(PG_URL), reason="the installed app runs on SQLite; the SQLite pass tests it")
def test_the_wheel_installs_into_a_fresh_venv_and_serves_a_school(wheel, tmp_path):
    venv = tmp_path / "venv"
    made = _run(sys.executable, "-m", "venv", venv)
    if made.returncode and "ensurepip" in made.stdout + made.stderr:
        pytest.skip("this Python makes no virtualenv with pip (Debian: apt-get install python3-venv)")
    assert made.returncode == 0, made.stdout + made.stderr
    python, schoolhq = venv / "bin" / "python", venv / "bin" / "schoolhq"
    installed = _run(python, "-m", "pip", "install", "-q", "--root-user-action=ignore",
                     "--disable-pip-version-check", wheel, cwd=tmp_path)
    if installed.returncode and any(s in installed.stderr for s in NETWORK_TROUBLE):
        pytest.skip("the package index cannot be reached for the dependencies")
    assert installed.returncode == 0, installed.stdout + installed.stderr

    # Nothing of the checkout or of its environment: only the installed package.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCHOOLHQ_", "PYTHON"))}
    env.update(SCHOOLHQ_INSTANCE=str(tmp_path / "instance"), SCHOOLHQ_PROXIES="1",
               SCHOOLHQ_LOG_FILE=str(tmp_path / "logs" / "schoolhq.log"))
    where = _run(python, "-c", "import schoolhq; print(schoolhq.__file__)", cwd=tmp_path, env=env)
    assert where.stdout.startswith(str(venv)), where.stdout + where.stderr

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    shown = _run(schoolhq, "--version", cwd=tmp_path, env=env)
    assert shown.returncode == 0 and shown.stdout.strip() == f"schoolhq {version}", shown.stdout + shown.stderr

    init = _run(schoolhq, "init", "--admin-user", ADMIN, "--admin-password", PASSWORD, cwd=tmp_path, env=env)
    assert init.returncode == 0 and ADMIN in init.stdout, init.stdout + init.stderr

    port = _free_port()
    server = subprocess.Popen([str(schoolhq), "serve", "--port", str(port)], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = _get(opener, f"{base}/health", headers={"X-Forwarded-For": "203.0.113.7"})
                break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        assert status == 200 and json.loads(body)["status"] == "ok"

        status, page = _get(opener, f"{base}/auth/login")
        assert status == 200, page
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
        status, page = _get(opener, f"{base}/auth/login",
                            {"csrf_token": token, "username": ADMIN, "password": PASSWORD, "next": ""})
        assert status == 200, page  # followed the redirect to the dashboard
        assert "工作台" in page and "退出" in page  # the packaged translations, not the source tree's
        status, css = _get(opener, f"{base}/static/css/app.css")
        assert status == 200 and css
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    log = (tmp_path / "logs" / "schoolhq.log").read_text(encoding="utf-8")
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ INFO \[schoolhq.access\] 203\.0\.113\.7 GET /health 200 \d+ms$",
                     log, re.M), log
    assert re.search(r"INFO \[schoolhq.access\] 127\.0\.0\.1 POST /auth/login 303 ", log), log
    assert "serving on" in log and "Traceback" not in log + output, log + output
    assert "schoolhq.access" not in output  # in the file only, not also on the console
