"""Plan files: strict TOML loading into probe instances (format in DESIGN.md)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pathprobe.bounded import MAX_PLAN_BYTES, check_size, loads_toml
from pathprobe.errors import BadInput
from pathprobe.i18n import _, ngettext
from pathprobe.model import HostPort
from pathprobe.net.sitecheck import DOWNLOAD_BYTES, MAX_DOWNLOAD_BYTES
from pathprobe.planfields import Entry
from pathprobe.probes import registry
from pathprobe.probes.base import Probe, Targets
from pathprobe.shipped import plans_dir

MAX_SITES_PER_PROBE = 2000
"""Most sites and controls one ``[[probe]]`` table may list (``sites`` and ``controls`` together)."""
MAX_SITE_CHECKS = 10000
"""Most site checks one check may run: each probe's own sites and controls, or the default ones it
borrows (the direct probe's). Beyond it a check would not fit its time budget or memory bound."""
MAX_PROBES = 200
"""Most ``[[probe]]`` tables one check may run."""
_SITE_KEYS = ("sites", "controls")


@dataclass
class Plan:
    """The probes of one check, read from one or more plan files, and those files' names."""

    probes: list[Probe]
    files: list[str]

    def _default_targets(self) -> Targets:
        """What the first probe that lends its targets lends (:meth:`Probe.default_targets`)."""
        for p in self.probes:
            lent = p.default_targets()
            if lent is not None:
                return lent
        return [], []

    @property
    def sites(self) -> list[HostPort]:
        """The default sites of kinds that give none of their own (the direct probe's)."""
        return list(self._default_targets()[0])

    @property
    def controls(self) -> list[HostPort]:
        """The default controls of kinds that give none of their own (the direct probe's)."""
        return list(self._default_targets()[1])


def default_plan_path() -> Path:
    """The shipped ``default.toml``, the plan ``check`` runs when given none."""
    return plans_dir() / "default.toml"


def shipped_plan(name: str) -> Path:
    """The path of the shipped plan ``<name>.toml`` (not checked to exist)."""
    return plans_dir() / f"{name}.toml"


def read_toml(path: Path) -> dict[str, Any]:
    """The TOML document in ``path``; raises :class:`BadInput` when the file is missing, unreadable,
    not UTF-8 or not valid TOML.
    """
    try:
        with path.open("rb") as fh:  # never read more than the cap (+1 to tell "too large")
            raw = fh.read(MAX_PLAN_BYTES + 1)
    except FileNotFoundError:
        raise BadInput(_("{file}: no such plan file", file=path)) from None
    except OSError as exc:
        raise BadInput(_("{file}: cannot read the plan: {reason}", file=path, reason=exc.strerror or exc)) from None
    check_size(raw, str(path), MAX_PLAN_BYTES)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(_("{file}: cannot read the plan: {reason}", file=path, reason=exc)) from None
    return loads_toml(text, str(path), max_bytes=MAX_PLAN_BYTES)


def parse_plan_data(data: dict[str, Any], file: str) -> list[Probe]:
    """The probes of one plan document, in file order, each validated by its kind's ``from_plan``
    (``file`` names the source in errors); raises :class:`BadInput` on the first problem.
    """
    extra = sorted(k for k in data if k != "probe")
    if extra:
        raise BadInput(_("{file}: unknown top-level key '{key}' (a plan holds only [[probe]] tables)", file=file,
                         key=extra[0]))
    items = data.get("probe")
    if not isinstance(items, list) or not items:
        raise BadInput(_("{file}: the plan has no [[probe]] tables", file=file))
    probes: list[Probe] = []
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise BadInput(_("{file}: [[probe]] #{index} must be a table", file=file, index=i))
        kind = item.get("kind")
        if not isinstance(kind, str):
            raise BadInput(_("{file}: [[probe]] #{index}, key 'kind': is required (a string)", file=file, index=i))
        try:
            cls = registry.get(kind)
        except BadInput as exc:
            raise BadInput(_("{file}: [[probe]] #{index}, key 'kind': {problem}", file=file, index=i, problem=exc)) from None
        own = own_site_count(item)
        if own is not None and own > MAX_SITES_PER_PROBE:
            raise BadInput(_("{file}: [[probe]] #{index}, keys 'sites' and 'controls': {count} sites; a probe may "
                             "list at most {most} (split the list over several plans and checks)", file=file,
                             index=i, count=own, most=MAX_SITES_PER_PROBE))
        item = dict(item)
        download = _download_bytes(item.pop("download_bytes", None), Entry(item, file, i), cls)
        probe = cls.from_plan(Entry(item, file, i))
        if not isinstance(probe, cls):
            raise BadInput(_("{file}: [[probe]] #{index}: probe kind '{kind}' is broken: its from_plan gave a "
                             "{got}, not a {want} (return cls(...))", file=file, index=i, kind=kind,
                             got=type(probe).__name__, want=cls.__name__))
        if download is not None:
            probe.download_bytes = download
        probes.append(probe)
    return probes


def _download_bytes(value: object, entry: Entry, cls: type[Probe]) -> int | None:
    """The table's ``download_bytes`` (how much of each reached page its site checks read for
    throughput; 0: none), None when not given; :class:`BadInput` naming file and key when it is not a
    whole number from 0 to :data:`~pathprobe.net.sitecheck.MAX_DOWNLOAD_BYTES`, or the kind checks no sites."""
    if value is None:
        return None
    if cls.fills_portal:
        raise entry.error("download_bytes", _("a {kind} probe checks no sites: remove the key", kind=entry.kind))
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DOWNLOAD_BYTES:
        raise entry.error("download_bytes", _("must be a whole number of bytes from 0 (off) to {most} (default "
                                              "{default}); found {value}", most=MAX_DOWNLOAD_BYTES,
                                              default=DOWNLOAD_BYTES, value=repr(value)[:100]))
    return value


def own_site_count(item: dict[str, Any]) -> int | None:
    """How many sites and controls a plan table lists itself; None when it lists neither (it borrows
    the default ones, if its kind checks sites)."""
    lists = [item[k] for k in _SITE_KEYS if k in item]
    if not lists:
        return None
    return sum(len(v) if isinstance(v, list) else 1 for v in lists)


def load_plans(paths: list[Path], only: list[str] | None = None) -> Plan:
    """Load and merge plan files; reject duplicate path ids, more probes of a kind than it allows and
    plans over the size limits (:data:`MAX_SITES_PER_PROBE`, :data:`MAX_SITE_CHECKS`, :data:`MAX_PROBES`)."""
    probes: list[Probe] = []
    own: list[int | None] = []
    for path in paths:
        data = read_toml(path)
        probes.extend(parse_plan_data(data, str(path)))
        items = data.get("probe")
        own.extend(own_site_count(item) if isinstance(item, dict) else None for item in items or [])
    if only:
        known = registry.available()
        for k in only:
            if k not in known:
                raise BadInput(_("--only: unknown probe kind '{kind}'; known kinds: {kinds}", kind=k,
                                   kinds=", ".join(sorted(known))))
        kept = [(p, n) for p, n in zip(probes, own, strict=True) if p.kind in only]
        probes, own = [p for p, _n in kept], [n for _p, n in kept]
    _check_size(probes, own, ", ".join(str(p) for p in paths))
    seen: dict[str, int] = {}
    per_kind: dict[str, int] = {}
    limit: dict[str, int | None] = {}
    for p in probes:
        per_kind[p.kind] = per_kind.get(p.kind, 0) + 1
        limit[p.kind] = p.max_instances
        for pid in p.path_ids():
            seen[pid] = seen.get(pid, 0) + 1
    dup = sorted(pid for pid, n in seen.items() if n > 1)
    files = ", ".join(str(p) for p in paths)
    if dup:
        raise BadInput(_("{files}: path id '{id}' is used twice (give each probe its own 'name')", files=files,
                         id=dup[0]))
    for kind, n in per_kind.items():
        most = limit[kind]
        if most is not None and n > most:
            raise BadInput(ngettext("{files}: at most one {kind} probe per check",
                                     "{files}: at most {n} {kind} probes per check", most, files=files, kind=kind))
    return Plan(probes=probes, files=[str(p) for p in paths])


def _check_size(probes: list[Probe], own: list[int | None], files: str) -> None:
    """Refuse a plan whose check would not fit its bounds: too many probes, or too many site checks
    (each probe's own sites and controls, or the default ones it borrows; a portal checks none)."""
    if len(probes) > MAX_PROBES:
        raise BadInput(_("{files}: {count} [[probe]] tables; a check runs at most {most}", files=files,
                         count=len(probes), most=MAX_PROBES))
    lent = Plan(probes, [])
    default = len(lent.sites) + len(lent.controls)
    total = sum(0 if p.fills_portal else (default if n is None else n) for p, n in zip(probes, own, strict=True))
    if total > MAX_SITE_CHECKS:
        raise BadInput(_("{files}: the plan asks for {count} site checks (each probe's sites and controls, or the "
                         "direct probe's for probes that give none); a check runs at most {most}", files=files,
                         count=total, most=MAX_SITE_CHECKS))
