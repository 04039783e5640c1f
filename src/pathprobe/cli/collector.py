"""``pathprobe collector serve|token``: run an NGO collector of anonymised summaries."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import typer

from pathprobe.errors import BadInput
from pathprobe.i18n import _, format_datetime, format_number, get_language
from pathprobe.report.safe import say, term_safe

if TYPE_CHECKING:
    from pathprobe.collector.storage import Storage

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)
token_app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)
app.add_typer(
    token_app, name="token", help="Add, list and revoke the bearer tokens of organisations/campaigns."
)


@contextlib.contextmanager
def _storage(db: str | None) -> Iterator[Storage]:
    """The collector's database (``--db``, else the default file), closed when the block ends."""
    from pathprobe.collector.storage import open_storage

    storage = open_storage(db or _default_db())
    try:
        yield storage
    finally:
        storage.close()


def _default_db() -> str:
    from pathprobe.summary.queue import data_dir

    return os.environ.get("PATHPROBE_COLLECTOR_DB") or str(data_dir() / "collector.sqlite3")


DB_HELP = (
    "Database: a SQLite file path (or sqlite:///path) or postgresql://user@host/db. "
    "Default: $PATHPROBE_COLLECTOR_DB or collector.sqlite3 in the pathprobe data directory."
)


INSTALL_HINT = "pip install 'pathprobe[collector]'"

LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "pathprobe collector: %(levelname)s %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}},
    "loggers": {
        "uvicorn": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        "uvicorn.error": {"level": "WARNING"},
        "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
    },
}
"""uvicorn's logging: warnings and errors only, and no access log (it would hold client addresses)."""


def _need_collector_extra() -> None:
    """:class:`BadInput` naming the install command when the collector's packages are missing."""
    from pathprobe.cli.extras import need_packages

    need_packages("the collector", ("starlette", "uvicorn"), INSTALL_HINT)


def _fit_descriptors(wanted: int) -> int:
    """``wanted`` connections, fewer when the process's file descriptor limit cannot hold them (some
    descriptors are kept for the database, logs and the listening socket).
    """
    try:
        import resource
    except ImportError:  # pragma: no cover - not on POSIX
        return wanted
    spare = 64
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = wanted + spare
    if soft != resource.RLIM_INFINITY and soft < need:
        target = need if hard == resource.RLIM_INFINITY else min(need, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
        if soft < need:
            wanted = max(4, soft - spare)
            _say(_("pathprobe collector: the file descriptor limit ({limit}) allows {n} connections",
                   limit=soft, n=wanted), err=True)
    return wanted


@app.command("serve")
def serve(
    db: str = typer.Option(None, "--db", help=DB_HELP),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (put a TLS proxy in front)."),
    port: int = typer.Option(8750, "--port", help="TCP port."),
    k: int = typer.Option(5, "--k", help="Aggregate cells with fewer submissions than this are hidden."),
    max_body: int = typer.Option(256 * 1024, "--max-body", help="Largest accepted request body in bytes."),
    read_timeout: float = typer.Option(
        10.0, "--read-timeout", help="Seconds a client has to send a whole request (slow clients are cut off)."
    ),
    max_connections: int = typer.Option(
        512, "--max-connections", help="Open connections at most (the oldest waiting one makes room)."
    ),
) -> None:
    """Serve POST /v1/summaries, GET /v1/aggregate and the dashboard at /."""
    _need_collector_extra()
    import uvicorn

    from pathprobe.collector.app import Settings, create_app
    from pathprobe.collector.guard import guarded_protocol
    from pathprobe.collector.storage import open_storage, redact_url

    if not 0.1 <= read_timeout <= 600:
        raise BadInput(_("--read-timeout must be from 0.1 to 600 seconds"))
    if not 4 <= max_connections <= 100_000:
        raise BadInput(_("--max-connections must be from 4 to 100000"))
    max_connections = _fit_descriptors(max_connections)
    if not 1 <= k <= 1000:
        raise BadInput(_("--k must be from 1 to 1000"))
    if not 0 < port < 65536:
        raise BadInput(_("--port must be from 1 to 65535"))
    if not 1024 <= max_body <= 64 * 1024 * 1024:
        raise BadInput(_("--max-body must be from 1024 to 67108864 bytes"))
    url = db or _default_db()
    storage = open_storage(url)
    _say(
        _("pathprobe collector: database {db} (schema {schema}), listening on http://{host}:{port}/ (k={k})",
          db=term_safe(redact_url(url)), schema=storage.schema_version(), host=term_safe(host), port=port, k=k),
        err=True,
    )
    config = uvicorn.Config(
        create_app(storage, Settings(k=k, max_body=max_body)),
        host=host,
        port=port,
        http=guarded_protocol(read_timeout, max_connections),
        log_level="warning",
        log_config=LOG_CONFIG,
        access_log=False,
        server_header=False,
        proxy_headers=False,
        lifespan="on",
    )
    try:
        uvicorn.Server(config).run()
    finally:
        storage.close()


@token_app.command("add")
def token_add(
    name: str = typer.Argument(..., help="Organisation or campaign name (letters, digits, . _ -)."),
    db: str = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Create a token; it is printed once, alone on the last line (only its hash is stored)."""
    with _storage(db) as storage:
        token = storage.add_token(name)
    _say(_("token for '{name}' (shown once; give it to the people who submit):", name=term_safe(name)), err=True)
    print(token, flush=True)


@token_app.command("list")
def token_list(db: str = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """List tokens: name, created, revoked, summaries received (never the tokens themselves)."""
    with _storage(db) as storage:
        rows = storage.list_tokens()
    if not rows:
        _say(_("no tokens yet: add one with `pathprobe collector token add NAME`"))
        return
    say("{:<24} {:<21} {:<21} {}", _("name"), _("created"), _("revoked"), _("summaries"))
    for r in rows:  # read from the database file: shown as data
        say("{:<24} {:<21} {:<21} {}", r["name"], _when(r["created"]), _when(r["revoked"]) or "-",
            _count(r["summaries"]))


@token_app.command("revoke")
def token_revoke(
    name: str = typer.Argument(..., help="The token's name."),
    db: str = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Revoke a token: it stops working within seconds; its summaries stay."""
    with _storage(db) as storage:
        done = storage.revoke_token(name)
    if not done:
        raise BadInput(_("no active token named '{name}'", name=name))
    _say(_("token '{name}' revoked", name=term_safe(name)))


def _say(text: str, err: bool = False) -> None:
    """Print one message whose values were made safe (:func:`term_safe`) before they were put in."""
    say("{}", text, err=err)


def _when(value: Any) -> Any:
    """A stored time for the reader: as stored in English (unchanged output), the language's form otherwise."""
    if not value or get_language() == "en":
        return value
    return format_datetime(str(value))


def _count(value: Any) -> Any:
    """A stored count for the reader."""
    return format_number(value) if isinstance(value, int) and get_language() != "en" else value
