"""``pathprobe trust audit``: does this device trust a known interception root?"""

from __future__ import annotations

import json
from pathlib import Path

import typer

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)


@app.command("audit")
def audit_cmd(
    device_roots: Path = typer.Option(None, "--device-roots", help="PEM bundle to audit instead of the OS store."),
    known_roots: Path = typer.Option(None, "--known-roots", help="Extra known interception roots (TSV)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List trusted roots that match known interception certificates (exit 0 either way)."""
    from pathprobe.analysis.roots import known_roots as load_known
    from pathprobe.trust import audit
    from pathprobe.trust import device_roots as load_device

    device = load_device(str(device_roots) if device_roots else None)
    found = audit(device, load_known(str(known_roots) if known_roots else None))
    if as_json:
        typer.echo(json.dumps({"source": device.source, "roots": len(device.certs),
                               "known_interception_roots": found}, indent=2))
        return
    typer.echo(f"Checked {len(device.certs)} trusted roots from {device.source}.")
    if not found:
        typer.echo("None of them is a known interception root.")
    for f in found:
        typer.echo(f"KNOWN INTERCEPTION ROOT: {f['known_as']} — {f['subject']} (sha256 {f['sha256']})")
        typer.echo("  Anyone holding this root's key can read your HTTPS. Remove it from the trust store.")
