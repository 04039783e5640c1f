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
    legacy_public_roots: Path = typer.Option(None, "--legacy-public-roots", help="Extra PEM roots to count as retired public roots."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List trusted roots that match known interception certificates, and roots Mozilla removed for
    cause that this device still trusts; count the merely retired ones (exit 0 either way)."""
    from pathprobe.analysis.roots import audit_known, audit_legacy
    from pathprobe.i18n import _, format_date, format_number, ngettext
    from pathprobe.report.safe import term_safe
    from pathprobe.trust import device_roots as load_device
    from pathprobe.trust import known_roots as load_known
    from pathprobe.trust import legacy_roots as load_legacy

    device = load_device(str(device_roots) if device_roots else None)
    known = load_known(str(known_roots) if known_roots else None)
    found = audit_known(device, known)
    for_cause, retired = audit_legacy(
        device, load_legacy(str(legacy_public_roots) if legacy_public_roots else None), known
    )
    if as_json:
        typer.echo(json.dumps({"source": device.source, "roots": len(device.certs),
                               "known_interception_roots": [r.to_dict() for r in found],
                               "removed_for_cause": for_cause,
                               "retired_public_roots": retired}, indent=2))
        return
    n = len(device.certs)
    typer.echo(ngettext("Checked {n} trusted root from {source}.", "Checked {n} trusted roots from {source}.", n,
                        n=format_number(n), source=term_safe(device.source)))
    if not found:
        typer.echo(_("None of them is a known interception root."))
    for r in found:
        typer.echo(_("KNOWN INTERCEPTION ROOT: {name} — {subject} (sha256 {sha256})", name=term_safe(r.known_as),
                     subject=term_safe(r.subject), sha256=term_safe(r.sha256)))
        typer.echo(_("  Anyone holding this root's key can read your HTTPS. Remove it from the trust store."))
    for f in for_cause:
        subject, sha = term_safe(f["subject"]), term_safe(f["sha256"])
        if f["left"]:
            typer.echo(_("REMOVED FOR CAUSE: {subject} (sha256 {sha256}, removed {date})", subject=subject,
                         sha256=sha, date=term_safe(format_date(str(f["left"])))))
        else:
            typer.echo(_("REMOVED FOR CAUSE: {subject} (sha256 {sha256})", subject=subject, sha256=sha))
        typer.echo(_("  Mozilla no longer trusts this root; an up-to-date system does not either. "
                     "Update the system or remove it."))
    if retired:
        typer.echo(ngettext("{n} of them is a public root that Mozilla has retired (old, not a risk by itself: "
                            "sites chained to it are not intercepted).",
                            "{n} of them are public roots that Mozilla has retired (old, not a risk by "
                            "themselves: sites chained to them are not intercepted).",
                            retired, n=format_number(retired)))
