"""What an outside probe sends a real server: forged log lines, wrong methods, URLs too
long, HTTPS through the proxy. Each answer is the site's own, never gunicorn's bare page."""

from __future__ import annotations

import socket

import pytest

from directory.serve import LIMIT_REQUEST_LINE
from directory.web import MAX_URL_BYTES
from tests.system.support import Browser, Site


class ProxiedSite(Site):
    """A host behind one trusted proxy, which says whether the visitor used HTTPS."""

    def environment(self) -> dict[str, str]:
        return {**super().environment(), "TRUSTED_PROXIES": "1"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("edges")
    site = ProxiedSite(f"sqlite:///{folder / 'directory.sqlite3'}", workers=1).start()
    yield site
    site.stop()


def raw_request(site: Site, target: str) -> bytes:
    """Send a request line as given, byte for byte (clients would tidy it up)."""
    with socket.create_connection(("127.0.0.1", site.port), timeout=30) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_an_encoded_newline_in_a_path_cannot_forge_a_log_line(site):
    forged = '[06/Dec/2026:10:00:00 +0000] "GET /admin HTTP/1.1" 200 0 1ms'
    target = "/schemes/x%0D%0A" + forged.replace(" ", "%20").replace('"', "%22")
    assert raw_request(site, target).startswith(b"HTTP/1.1 404")
    lines = site.log().splitlines()
    assert not any(line.startswith("[06/Dec/2026:10:00:00") for line in lines)
    assert any("/schemes/x%0D%0A%5B06/Dec/2026" in line for line in lines)


def test_a_wrong_method_says_which_methods_the_url_takes(site):
    for path in ("/api/v1/schemes", "/search"):
        response = Browser(site).post(path, {})
        assert response.status == 405, path
        assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}, path


def test_an_api_url_over_the_limit_gets_the_apis_own_414(site):
    path = "/api/v1/schemes?q=" + "a" * MAX_URL_BYTES
    assert len(path) < LIMIT_REQUEST_LINE - 100  # the app answers, not gunicorn
    response = site.get(path)
    assert response.status == 414
    assert response.text.startswith('{"errors":[{"message":"the URL is longer than 4000 bytes"}]')
    assert '"status":414' in response.text
    assert "Content-Security-Policy" in response.headers


def test_a_page_url_over_the_limit_gets_the_sites_own_414_page(site):
    response = site.get("/search?q=" + "a" * MAX_URL_BYTES)
    assert response.status == 414
    assert "This web address is too long" in response.text
    assert "Content-Security-Policy" in response.headers


def test_a_url_just_under_the_limit_is_served(site):
    path = "/search?q=" + "a" * (MAX_URL_BYTES - len("/search?q="))
    assert site.get(path).status == 200


def test_https_through_the_trusted_proxy_gets_strict_transport_security(site):
    secure = site.get("/", headers={"X-Forwarded-Proto": "https"})
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in site.get("/").headers
