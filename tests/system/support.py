"""Real processes for system tests: PostgreSQL clusters, servers, an HTTP client.

Everything here starts something real and stops it again, so tests never leave
servers behind and never touch the machine's shared PostgreSQL.
"""

from __future__ import annotations

import contextlib
import glob
import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import FIXTURE_CATALOGUE

ROOT = Path(__file__).parent.parent.parent
DIRECTORY = str(Path(sys.executable).parent / "directory")
PASSWORD = "a long enough password 42"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, timeout: float = 30, interval: float = 0.1, what: str = "condition"):
    """Poll `check` until it returns something truthy; fail with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except Exception as error:  # not ready yet: keep polling
            last = error
        else:
            if last:
                return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


# PostgreSQL ---------------------------------------------------------------------------------


def postgres_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


class PostgresCluster:
    """A throwaway PostgreSQL cluster in a temporary folder, on a free port.

    PostgreSQL refuses to run as root, so as root it runs as the `postgres` user.
    """

    def __init__(self):
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="directory-pg-"))
        self.data = self.folder / "data"
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.folder, "postgres", "postgres")

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, timeout=120)

    def create(self) -> PostgresCluster:
        self._run(
            postgres_bin("initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
        )
        return self

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            postgres_bin("pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.folder / "log"),
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run(postgres_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(
            f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True
        ) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # perhaps already stopped
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


# The site -----------------------------------------------------------------------------------


@dataclass
class Site:
    """`directory serve` in its own process, with its own instance folder (as on a host)."""

    database_url: str
    workers: int = 2
    instance: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="directory-host-")))
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.instance / "server.log"

    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "INSTANCE_PATH": str(self.instance),
            "DATABASE_URL": self.database_url,
            "CATALOGUE_FILE": str(FIXTURE_CATALOGUE),
            "SECRET_KEY": "system-tests-" + "x" * 40,
            # Development: production's Secure cookies would never come back over the
            # plain http these tests use. Serving, logging and workers are the same.
            "DIRECTORY_ENV": "development",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }

    def start(self) -> Site:
        log = open(self.log_path, "ab")  # noqa: SIM115  (closed in stop())
        self.process = subprocess.Popen(
            [
                DIRECTORY,
                "serve",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
            ],
            env=self.environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            start_new_session=True,
        )
        self._log = log
        wait_for(
            lambda: self.get("/healthz").status == 200, timeout=90, what=f"{self.base} to start"
        )
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if getattr(self, "_log", None):
            self._log.close()
        shutil.rmtree(self.instance, ignore_errors=True)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def workers_pids(self) -> set[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return {int(pid) for pid in children.read_text().split()}

    def command(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        """Run `directory ...` against this host's database and instance folder."""
        return subprocess.run(
            [DIRECTORY, *args],
            env=self.environment(),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=180,
            **kwargs,
        )

    def get(self, path: str, **kwargs) -> Response:
        return Browser(self).get(path, **kwargs)


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    text: str


class Browser:
    """A minimal HTTP client with cookies, for signing in and submitting forms."""

    def __init__(self, site: Site):
        self.site = site
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def request(
        self, method: str, path: str, data=None, headers=None, timeout: float = 30
    ) -> Response:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(
            self.site.base + path, data=body, method=method, headers=headers or {}
        )
        try:
            with self.opener.open(request, timeout=timeout) as response:
                body = response.read().decode(errors="replace")  # compressed bodies are not text
                return Response(response.status, dict(response.headers), body)
        except urllib.error.HTTPError as error:
            return Response(error.code, dict(error.headers), error.read().decode(errors="replace"))

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data, **kwargs) -> Response:
        return self.request("POST", path, data=data, **kwargs)

    def sign_in(self, email: str, password: str = PASSWORD) -> None:
        page = self.get("/sign-in")
        response = self.post(
            "/sign-in",
            [("csrf_token", csrf_token(page.text)), ("email", email), ("password", password)],
        )
        assert response.status == 302, response.text[:500]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # tests look at redirects themselves


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def add_curator(site: Site, email: str = "cara@example.org") -> str:
    """A curator with PASSWORD, made through `directory users add` and the reset link."""
    result = site.command("users", "add", email, "--name", "Cara", "--role", "curator")
    assert result.returncode == 0, result.stderr
    link = result.stdout.strip().splitlines()[-1]
    path = urllib.parse.urlsplit(link).path
    browser = Browser(site)
    page = browser.get(path)
    response = browser.post(
        path, [("csrf_token", csrf_token(page.text)), ("password", PASSWORD), ("confirm", PASSWORD)]
    )
    assert response.status == 302, response.text[:500]
    return email
