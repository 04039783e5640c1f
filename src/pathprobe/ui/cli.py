"""``pathprobe ui``: serve the check as a local page on loopback and open it in the default browser.

Kept light at import (``pathprobe``'s start-up builds every command): the web stack is imported
when the command runs.
"""

from __future__ import annotations

import ipaddress
import secrets
import socket
import sys
from pathlib import Path

import typer

from pathprobe.cli.check import _typer_signature
from pathprobe.cli.check import with_probe_options as check_with_probe_options
from pathprobe.errors import BadInput
from pathprobe.i18n import _

INSTALL_HINT = "pip install 'pathprobe[ui]'"
"""The page runs on the collector's web stack (Starlette, uvicorn): the ``ui`` extra installs it."""
LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "pathprobe ui: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}},
    "loggers": {
        "uvicorn": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        "uvicorn.error": {"level": "WARNING"},
        "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
    },
}
"""Warnings and errors only, no access log."""


def ui(
    host: str = typer.Option("127.0.0.1", "--host", help="Loopback address to listen on (this machine only)."),
    port: int = typer.Option(0, "--port", help="Port to listen on (default: any free port)."),
    no_browser: bool = typer.Option(False, "--no-browser", help="Do not open the page in the default browser."),
    lang: str = typer.Option(None, "--lang", help="The page's language: en, ru or kk (default: the environment's, else en)."),
    plan: list[Path] = typer.Option(None, "--plan", help="Plan file (TOML) the check button runs; repeatable. Default: the shipped default plan."),
    only: str = typer.Option(None, "--only", help="Run only these probe kinds, e.g. direct,doh."),
    public_roots: Path = typer.Option(None, "--public-roots", help="PEM bundle to use as the public roots (default: Mozilla's, via certifi)."),
    device_roots: Path = typer.Option(None, "--device-roots", help="PEM bundle to use as this device's roots (default: the OS store)."),
    known_roots: Path = typer.Option(None, "--known-roots", help="Extra known interception roots (TSV like the shipped list)."),
    legacy_public_roots: Path = typer.Option(None, "--legacy-public-roots", help="PEM roots to treat as retired public roots."),
    timeout: float = typer.Option(8.0, "--timeout", help="Seconds allowed for each network step."),
    full: bool = typer.Option(False, "--full", help="Deep checks too: bootstrap Tor over each transport (minutes)."),
    label: str = typer.Option(None, "--label", help="A label for this network (kept in the profile only; the page can set one too)."),
    **probe_options: list[str] | None,
) -> None:
    """Check this network from a local web page (for people who do not use a terminal).

    Prints `pathprobe ui: http://127.0.0.1:PORT/?token=TOKEN` first, then serves the page on loopback
    until Ctrl-C. The check options are what the page's button runs.

    Exit codes: 0 the server stopped; 2 bad input (a --host that is not this machine, a port in use,
    a bad --lang or --timeout, the web packages missing); 130 interrupted (Ctrl-C).
    """
    from pathprobe.cli.check import check_options
    from pathprobe.i18n import check_language, get_language

    _need_web_stack()
    address = _loopback(host)
    if not 0 <= port <= 65535:
        raise BadInput(_("--port must be from 0 to 65535"))
    chosen = check_language(lang) if lang is not None else get_language()
    if not 0 < timeout <= 600:
        raise BadInput(_("--timeout must be a number of seconds from 0 to 600"))
    options = check_options(
        plan=plan, only=only, public_roots=public_roots, device_roots=device_roots, known_roots=known_roots,
        legacy_public_roots=legacy_public_roots, timeout=timeout, full=full, label=label,
        probe_options=probe_options,
    )
    sock = _listen(address, port)
    serve(sock, options, lang=chosen, browser=not no_browser)


ui.__signature__ = _typer_signature(ui)  # type: ignore[attr-defined]
with_probe_options = check_with_probe_options
"""``pathprobe ui`` takes the options probe kinds declare (tor's ``--bridge``) as ``check`` does; the
entry point adds them when ``ui`` runs (``PLUGIN_OPTIONS``), and the button's check gets them."""


def _need_web_stack() -> None:
    from pathprobe.cli.extras import need_packages

    need_packages("pathprobe ui", ("starlette", "uvicorn"), INSTALL_HINT)


def _loopback(host: str) -> str:
    """The IPv4 loopback address to listen on; :class:`BadInput` for anything that is not this machine."""
    h = host.strip()
    if h == "localhost":
        return "127.0.0.1"
    try:
        ip = ipaddress.ip_address(h)
    except ValueError:
        ip = None
    if ip is None or ip.version != 4 or not ip.is_loopback:
        raise BadInput(_(
            "--host must be a loopback address such as 127.0.0.1 (got {host}): the page listens on this "
            "machine only", host=repr(h[:60]),
        ))
    return str(ip)


def _listen(address: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((address, port))
        sock.listen(64)
    except OSError as exc:
        sock.close()
        raise BadInput(_("cannot listen on {address}: {reason}", address=f"{address}:{port}",
                          reason=exc.strerror or exc)) from None
    return sock


def serve(sock: socket.socket, options: object, *, lang: str, browser: bool) -> None:
    """Print the URL line, open the browser (unless told not to) and serve until stopped."""
    import threading
    import webbrowser

    import uvicorn

    from pathprobe.check import CheckOptions
    from pathprobe.cli.check import _more_files
    from pathprobe.ui import trainer
    from pathprobe.ui.app import Settings, create_app
    from pathprobe.ui.jobs import Jobs

    assert isinstance(options, CheckOptions)
    _more_files()
    address, port = sock.getsockname()[:2]
    token = secrets.token_urlsafe(24)
    plan = ", ".join(str(p) for p in options.plans)  # empty: the shipped default plan
    settings = Settings(port=port, token=token, host=address, lang=lang, plan=plan, trainer=trainer.available())
    jobs = Jobs(options)
    app = create_app(settings, jobs)
    url = f"http://{address}:{port}/?token={token}"
    print(f"pathprobe ui: {url}", flush=True)
    print(_("Keep this window open while you use the page; press Ctrl-C here to stop it."), file=sys.stderr,
          flush=True)
    if browser:
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
    config = uvicorn.Config(
        app,
        log_level="warning",
        log_config=LOG_CONFIG,
        access_log=False,
        server_header=False,
        proxy_headers=False,
        lifespan="off",
        timeout_graceful_shutdown=2,
    )
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
        # Ctrl-C or SIGTERM: the running check stops what it started (tor!) before the process ends.
        stopped = jobs.stop()
        if jobs.interrupted:
            print(_("The check that was running was stopped."), file=sys.stderr, flush=True)
        if not stopped:
            print(_("Some work did not stop in time: {names}.", names=", ".join(t.name for t in jobs.alive())),
                  file=sys.stderr, flush=True)
