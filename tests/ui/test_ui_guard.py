"""The page's guard over plain HTTP (no browser): the token (query, then cookie), the Host check
(DNS rebinding), the Origin check on changes (CSRF), the security headers — all against a real
``pathprobe ui`` process; and the page's HTML has no inline script or event handler."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.ui.uihelpers import Ui, run_ui


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ui]:
    folder = tmp_path_factory.mktemp("ui-guard")
    with run_ui(folder, 19310, ["--plan", str(folder / "never-run.toml")]) as u:
        yield u


def get(ui: Ui, path: str, **kw: object) -> httpx.Response:
    return httpx.get(ui.base + path, follow_redirects=False, **kw)  # type: ignore[arg-type]


def test_the_url_line_and_the_token(ui: Ui) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:19310/\?token=[A-Za-z0-9_-]{20,}", ui.url)
    assert get(ui, "/").status_code == 403
    assert get(ui, "/?token=wrong").status_code == 403
    assert get(ui, "/?token=").status_code == 403
    assert get(ui, f"/?token={ui.token}&token={ui.token}").status_code == 403  # one token, no games
    for path in ("/static/app.js", "/static/ui.css", "/events", "/profile.json", "/part/result"):
        assert get(ui, path).status_code == 403, path
    r = get(ui, f"/?token={ui.token}")
    assert r.status_code == 200 and "pathprobe" in r.text
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"pathprobe_ui_19310={ui.token};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    jar = {"pathprobe_ui_19310": ui.token}
    assert get(ui, "/static/app.js", cookies=jar).status_code == 200
    assert get(ui, "/", cookies={"pathprobe_ui_19310": "x" + ui.token}).status_code == 403
    assert get(ui, "/", cookies={"pathprobe_ui_19311": ui.token}).status_code == 403  # another port's cookie
    # A wrong token in the query is refused even with the right cookie.
    assert get(ui, "/?token=nope", cookies=jar).status_code == 403


def test_host_must_be_this_machine(ui: Ui) -> None:
    q = f"/?token={ui.token}"
    assert get(ui, q, headers={"Host": f"localhost:{ui.port}"}).status_code == 200
    for host in (f"evil.example:{ui.port}", "127.0.0.1", f"127.0.0.1:{ui.port + 1}", f"localhost.evil.example:{ui.port}",
                 f"127.0.0.2:{ui.port}"):
        assert get(ui, q, headers={"Host": host}).status_code == 403, host


def raw(ui: Ui, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", ui.port), timeout=5) as s:
        s.sendall(request)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
        return data


def test_host_missing_or_twice(ui: Ui) -> None:
    no_host = raw(ui, f"GET /?token={ui.token} HTTP/1.0\r\n\r\n".encode())
    assert no_host.startswith(b"HTTP/1.1 403")
    twice = raw(ui, f"GET /?token={ui.token} HTTP/1.1\r\nHost: 127.0.0.1:{ui.port}\r\nHost: evil.example\r\n"
                    "Connection: close\r\n\r\n".encode())
    assert twice.startswith(b"HTTP/1.1 403") or twice.startswith(b"HTTP/1.1 400")


def test_changes_need_this_page_as_origin(ui: Ui) -> None:
    jar = {"pathprobe_ui_19310": ui.token}
    consent = Path(ui.env["XDG_CONFIG_HOME"]) / "pathprobe" / "consent"
    for origin in (None, "null", "http://evil.example", f"http://127.0.0.1:{ui.port + 1}", f"https://127.0.0.1:{ui.port}"):
        headers = {"Origin": origin} if origin else {}
        r = httpx.post(ui.base + "/consent", cookies=jar, headers=headers)
        assert r.status_code == 403, origin
        assert not consent.exists()
    # The right Origin but no token: refused too.
    assert httpx.post(ui.base + "/consent", headers={"Origin": ui.base}).status_code == 403
    r = httpx.post(ui.base + "/consent", cookies=jar, headers={"Origin": ui.base})
    assert r.status_code == 303 and consent.is_file()
    r = httpx.post(ui.base + "/lang", cookies=jar, headers={"Origin": f"http://localhost:{ui.port}"},
                   data={"lang": "kk"})
    assert r.status_code == 303
    # The language is this browser's (a cookie): another browser's page stays in its own.
    chosen = r.cookies.get("pathprobe_ui_lang_19310")
    assert chosen == "kk"
    assert '<html lang="kk">' in get(ui, "/", cookies={**jar, "pathprobe_ui_lang_19310": chosen}).text
    assert '<html lang="en">' in get(ui, "/", cookies=jar).text
    # ?lang= in the URL, and a language the page does not speak is left alone.
    assert '<html lang="ru">' in get(ui, "/?lang=ru", cookies=jar).text
    assert '<html lang="en">' in get(ui, "/?lang=xx", cookies=jar).text


def test_headers_and_no_inline_script(ui: Ui) -> None:
    r = get(ui, f"/?token={ui.token}")
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self';" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["cache-control"] == "no-store"
    assert not re.search(r"<script(?![^>]*\bsrc=)", r.text)  # every script is a file
    assert not re.search(r"\son[a-z]+\s*=", r.text)  # no event handler attribute
    assert not re.search(r"(src|href)=\"(https?:)?//", r.text)  # nothing from elsewhere
    forbidden = get(ui, "/")
    assert forbidden.headers["content-security-policy"] == csp
