"""Scenario files: a censored network, the plan a client runs on it, and the verdicts it must reach.

Shipped scenarios live in ``pathprobe/lab/scenarios/<name>.toml``; ``lab up|check`` also take a path
to a file. The format is documented in docs/lab.md; every key is checked and an unknown key is an
error naming the file and the key (exit 2).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pathprobe.bounded import MAX_PLAN_BYTES, loads_toml
from pathprobe.errors import BadInput
from pathprobe.i18n import _, get_language, translations
from pathprobe.lab import world as w
from pathprobe.lab.certs import RootSpec
from pathprobe.lab.expect import (
    NONE,
    AdviceExp,
    Expectations,
    FindingExp,
    OfferedExp,
    PathExp,
    PortalExp,
    TargetExp,
)
from pathprobe.lab.services import INTERNET, internet_service
from pathprobe.vocab import (
    BlockAction,
    BlockStage,
    BlockTrigger,
    Connectivity,
    Evasion,
    Reachability,
    Signal,
    TlsVerdict,
)

TRUSTABLE = ("public", "interceptor", "retired")
REACH = tuple(Reachability)
TLS = tuple(TlsVerdict)
CONNECTIVITY = tuple(Connectivity)
LOSS_MAX = 50
"""Percent; beyond this no path works and a check could only measure the loss."""


@dataclass(frozen=True)
class Block:
    """One packet filter on the censor (client -> internet traffic)."""

    action: str
    """``drop`` (silence) or ``reject`` (TCP reset / ICMP port unreachable)."""
    proto: str
    port: int | None
    to: str | None
    """An address or network (site names are resolved to their address when read)."""
    payload: bool = False
    """Only packets that carry data (the TCP handshake completes, the TLS hello is dropped; issue 17)."""


@dataclass(frozen=True)
class Intercept:
    """``[censor.intercept]``: the interception root (and intermediate) and which SNIs it intercepts."""

    root: RootSpec
    intermediate: RootSpec | None
    hosts: tuple[str, ...] | None
    """Only these SNIs are intercepted (None: all port-443 traffic)."""
    ignore: tuple[str, ...] | None


@dataclass(frozen=True)
class PortalSpec:
    """The censor captures plain HTTP and sends the client to its portal page."""

    offer: tuple[str, ...] = ()
    """Certificates the page offers (``qaznet``, ``interceptor``); none: a captive log-in page."""


@dataclass(frozen=True)
class SniFilterSpec:
    """``[censor.sni]`` (issue 17): flows whose TLS hello names one of ``hosts`` (or a name below one)
    are dropped (``drop``: silence) or reset (``reset``). ``mode`` ``packet`` matches each packet on
    its own (a kernel string match: a hello split inside the name gets through); ``reassemble`` is a
    transparent proxy on the censor that reads the whole hello across TCP segments and TLS records."""

    hosts: tuple[str, ...]
    action: str = "drop"
    mode: str = "packet"


@dataclass(frozen=True)
class Censor:
    """``[censor]``: what the router does to the client's traffic (filters, DNS lies, interception,
    portal, packet loss).
    """

    blocks: tuple[Block, ...] = ()
    lies: dict[str, str] | None = None
    """DNS hijack: name -> address | ``blockpage`` | ``nxdomain`` (None: the client's DNS is left alone)."""
    intercept: Intercept | None = None
    portal: PortalSpec | None = None
    """Redirect the client's port 80 to the censor's portal server (None: plain HTTP is left alone)."""
    loss: int = 0
    """Random packet loss on the router, in percent, each direction (a bad link, not censorship)."""
    sni: SniFilterSpec | None = None
    """Filtering by server name (issue 17)."""
    throttle: Throttle | None = None
    """Shape the flows that name these sites to a low rate (issue 17); None: no shaping."""


@dataclass(frozen=True)
class Throttle:
    """``[censor.throttle]``: flows whose packets name one of ``sites`` (the TLS hello's server name)
    get ``kbps`` kbit/s toward the client (``tc`` htb on the censor)."""

    sites: tuple[str, ...]
    kbps: int = 64


@dataclass(frozen=True)
class Scenario:
    """One scenario file, read and checked: its services, the plan, what the device trusts, the
    censor and the expected verdicts.
    """

    name: str
    title: str
    description: str
    timeout: float
    services: tuple[str, ...]
    plan: str
    """The plan text; ``{{instance.key}}`` inside its strings is filled from the services at up time."""
    trusts: tuple[str, ...]
    censor: Censor
    expect: Expectations

    def shown_title(self) -> str:
        """The title in the reader's language: the catalogs hold every shipped scenario's title
        (scripts/i18n.py extracts them); another file's title shows as written."""
        return translations(get_language()).gettext(self.title)

    def shown_description(self) -> str:
        """The description in the reader's language, as :meth:`shown_title`."""
        return translations(get_language()).gettext(self.description) if self.description else ""
    source: str
    kinds: tuple[str, ...] = field(default=())
    """Probe kinds the plan uses."""
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    """``[options.<kind>]`` tables for the internet services."""

    def missing_kinds(self) -> list[str]:
        """Probe kinds the plan needs that this pathprobe cannot load."""
        from pathprobe.probes import registry

        known = registry.available()
        return [k for k in self.kinds if k not in known]


# --------------------------------------------------------------------------- reading


class _T:
    """One table being read strictly."""

    def __init__(self, data: Any, where: str, source: str) -> None:
        if not isinstance(data, dict):
            raise BadInput(_("{source}: '{where}' must be a table", source=source, where=where))
        self.data = dict(data)
        self.where = where
        self.source = source

    def err(self, key: str, msg: str) -> BadInput:
        full = f"{self.where}.{key}" if self.where else key
        return BadInput(_("{source}: key '{key}': {problem}", source=self.source, key=full, problem=msg))

    def has(self, key: str) -> bool:
        return key in self.data

    def text(self, key: str, *, required: bool = False, choices: tuple[str, ...] | None = None) -> str | None:
        if key not in self.data:
            if required:
                raise self.err(key, _("is required"))
            return None
        v = self.data.pop(key)
        if not isinstance(v, str) or not v.strip():
            raise self.err(key, _("must be a non-empty string"))
        if choices and v not in choices:
            raise self.err(key, _("'{value}' is not one of {choices}", value=v, choices=", ".join(choices)))
        return v

    def strs(self, key: str, *, choices: tuple[str, ...] | None = None) -> tuple[str, ...] | None:
        if key not in self.data:
            return None
        v = self.data.pop(key)
        if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
            raise self.err(key, _("must be a list of strings"))
        for x in v:
            if choices and x not in choices:
                raise self.err(key, _("'{value}' is not one of {choices}", value=x, choices=", ".join(choices)))
        return tuple(v)

    def flag(self, key: str, *, allow_none: bool = False) -> bool | str | None:
        """A boolean (or, with ``allow_none``, the string ``"none"`` for JSON null)."""
        if key not in self.data:
            return None
        v = self.data.pop(key)
        if isinstance(v, bool):
            return v
        if allow_none and v == NONE:
            return NONE
        raise self.err(key, _('must be true or false (or "none" for null)') if allow_none else _("must be true or false"))

    def num(self, key: str, default: float, low: float, high: float) -> float:
        if key not in self.data:
            return default
        v = self.data.pop(key)
        if isinstance(v, bool) or not isinstance(v, int | float) or not low <= v <= high:
            raise self.err(key, _("must be a number from {low} to {high}", low=f"{low:g}", high=f"{high:g}"))
        return float(v)

    def whole(self, key: str, low: int, high: int) -> int | None:
        if key not in self.data:
            return None
        v = self.data.pop(key)
        if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
            raise self.err(key, _("must be a whole number from {low} to {high}", low=low, high=high))
        return v

    def sub(self, key: str) -> _T | None:
        if key not in self.data:
            return None
        return _T(self.data.pop(key), f"{self.where}.{key}" if self.where else key, self.source)

    def subs(self, key: str) -> list[_T]:
        if key not in self.data:
            return []
        v = self.data.pop(key)
        name = f"{self.where}.{key}" if self.where else key
        if not isinstance(v, list):
            raise BadInput(_("{source}: '{name}' must be an array of tables ([[{name}]])", source=self.source, name=name))
        return [_T(x, f"{name}[{i}]", self.source) for i, x in enumerate(v, start=1)]

    def done(self) -> None:
        if self.data:
            raise self.err(sorted(self.data)[0], _("unknown key"))


def _root(t: _T | None) -> RootSpec | None:
    if t is None:
        return None
    spec = RootSpec(cn=t.text("cn", required=True) or "", org=t.text("org"), country=t.text("country"))
    t.done()
    return spec


def _censor(t: _T | None) -> Censor:
    if t is None:
        return Censor()
    blocks = []
    for b in t.subs("block"):
        action = b.text("action", required=True, choices=("drop", "reject"))
        proto = b.text("proto", choices=("tcp", "udp")) or "tcp"
        port = b.whole("port", 1, 65535)
        to = b.text("to")
        if to is not None:
            try:
                to = w.resolve_target(to)
            except ValueError as exc:
                raise b.err("to", str(exc)) from None
        payload = b.flag("payload") is True
        if payload and proto != "tcp":
            raise b.err("payload", _("applies to TCP only"))
        b.done()
        blocks.append(Block(action or "", proto, port, to, payload))
    lies = None
    dns = t.sub("dns")
    if dns is not None:
        lt = dns.sub("lies")
        if lt is None:
            raise dns.err("lies", _('is required (a table: name = address | "blockpage" | "nxdomain")'))
        lies = {}
        for name in list(lt.data):
            v = lt.text(name, required=True) or ""
            if v not in ("blockpage", "nxdomain"):
                try:
                    ipaddress.IPv4Address(v)
                except ValueError:
                    raise lt.err(name, _('\'{value}\' is not an IPv4 address, "blockpage" or "nxdomain"', value=v)) from None
            lies[name.lower().rstrip(".")] = v
        dns.done()
    intercept = None
    it = t.sub("intercept")
    if it is not None:
        root = _root(it.sub("root"))
        if root is None:
            raise it.err("root", _("is required (a table: cn, org, country)"))
        inter = _root(it.sub("intermediate"))
        hosts, ignore = it.strs("hosts"), it.strs("ignore")
        it.done()
        intercept = Intercept(root, inter, hosts, ignore)
    portal = None
    pt = t.sub("portal")
    if pt is not None:
        from pathprobe.lab.services.portal import OFFERS

        offer = pt.strs("offer", choices=OFFERS)
        if offer is None:
            raise pt.err("offer", _("is required (a list of {choices}; [] for a log-in page)", choices=", ".join(OFFERS)))
        pt.done()
        portal = PortalSpec(tuple(dict.fromkeys(offer)))
    loss = t.whole("loss", 0, LOSS_MAX) or 0
    sni = None
    st = t.sub("sni")
    if st is not None:
        hosts = st.strs("hosts")
        if not hosts:
            raise st.err("hosts", _("is required (the server names the censor filters)"))
        for h in hosts:
            if not re.fullmatch(r"[a-z0-9.-]+", h):
                raise st.err("hosts", _("'{value}' is not a lower-case host name", value=h))
        sni = SniFilterSpec(tuple(hosts), st.text("action", choices=("drop", "reset")) or "drop",
                            st.text("mode", choices=("packet", "reassemble")) or "packet")
        st.done()
        if intercept is not None and sni.mode == "reassemble":
            raise st.err("mode", _("'reassemble' cannot run with [censor.intercept] (both take port 443)"))
    throttle = _throttle(t.sub("throttle"))
    t.done()
    return Censor(tuple(blocks), lies, intercept, portal, loss, sni, throttle)


def _throttle(t: _T | None) -> Throttle | None:
    """``[censor.throttle]``: ``sites`` (lab site names, required) and ``kbps`` (8 to 100000, default 64)."""
    if t is None:
        return None
    sites = t.strs("sites", choices=tuple(w.SITE_BY_NAME))
    if not sites:
        raise t.err("sites", _("is required (a list of lab site names)"))
    kbps = t.whole("kbps", 8, 100000)
    t.done()
    return Throttle(tuple(dict.fromkeys(sites)), 64 if kbps is None else kbps)


def _expect(t: _T) -> Expectations:
    rec = t.text("recommendation")
    ranked = t.strs("ranked")
    any_order = t.flag("ranked_any_order") is True
    if any_order and ranked is None:
        raise t.err("ranked_any_order", _("needs 'ranked'"))
    conn = t.text("connectivity", choices=CONNECTIVITY)
    hosts = t.strs("interception_hosts")
    known = t.whole("device_known_roots", 0, 1000)
    paths = []
    for p in t.subs("path"):
        pid = p.text("id", required=True) or ""
        paths.append(
            PathExp(pid, p.text("reachability", choices=REACH), p.text("tls", choices=TLS), p.text("reason"))
        )
        p.done()
    targets = []
    for x in t.subs("target"):
        path = x.text("path", required=True) or ""
        one = x.text("target")
        many = x.strs("targets")
        if (one is None) == (many is None):
            raise x.err("target", _("give exactly one of 'target' or 'targets'"))
        targets.append(
            TargetExp(
                path,
                (one,) if one else tuple(many or ()),
                reachability=x.text("reachability", choices=REACH),
                tls=x.text("tls", choices=TLS),
                failure=x.text("failure"),
                signals=x.strs("signals"),
                signals_include=x.strs("signals_include") or (),
                signals_exclude=x.strs("signals_exclude") or (),
                note_contains=x.strs("note_contains") or (),
                blocking=x.text("blocking", choices=(NONE, "present")),
                stage=x.text("stage", choices=(*tuple(BlockStage), NONE)),
                action=x.text("action", choices=(*tuple(BlockAction), NONE)),
                trigger=x.text("trigger", choices=(*tuple(BlockTrigger), NONE)),
                evasion_reached=x.strs("evasion_reached", choices=tuple(Evasion)),
                evasion_tried=x.strs("evasion_tried", choices=tuple(Evasion)),
            )
        )
        x.done()
    findings = []
    for f in t.subs("interception"):
        one, many = f.text("host"), f.strs("hosts")
        if (one is None) == (many is None):
            raise f.err("host", _("give exactly one of 'host' or 'hosts'"))
        findings.append(
            FindingExp(
                (one,) if one else tuple(many or ()),
                paths=f.strs("paths"),
                known_as=f.text("known_as"),
                root=f.text("root"),
                issuer_contains=f.text("issuer_contains"),
                signals=f.strs("signals"),
            )
        )
        f.done()
    portal = _expect_portal(t.sub("portal"))
    advice = None
    at = t.sub("advice")
    if at is not None:
        advice = AdviceExp(
            cases_include=at.strs("cases_include") or (),
            cases_exclude=at.strs("cases_exclude") or (),
            says=at.strs("says") or (),
            never_says=at.strs("never_says") or (),
        )
        at.done()
    throttled = t.strs(Signal.THROTTLED)  # issue 17: the exact set of "<path> <host>" carrying `throttled`
    t.done()
    exp = Expectations(
        rec, ranked, conn, hosts, known, tuple(paths), tuple(targets), tuple(findings), any_order, portal, advice,
        throttled,
    )
    if not (paths or targets or findings or rec):
        raise t.err("path", _("a scenario must expect something (paths, targets, interception, recommendation)"))
    return exp


def _expect_portal(t: _T | None) -> PortalExp | None:
    if t is None:
        return None
    absent = t.flag("absent")
    detected = t.flag("detected", allow_none=True)
    host = t.text("host")
    failure = t.text("failure")
    exact = t.has("offered")
    offered = []
    for o in t.subs("offered"):
        sha = o.text("sha256")
        root = o.text("root", choices=("interceptor",))
        if sha is not None and root is not None:
            raise o.err("root", _("give at most one of 'sha256' or 'root'"))
        if sha is not None and not re.fullmatch(r"[0-9a-f]{64}", sha):
            raise o.err("sha256", _("must be 64 lowercase hex digits"))
        over = o.text("over", choices=("http", "https"))
        offered.append(
            OfferedExp(
                sha256=sha,
                root=root,
                known_as=o.text("known_as"),
                in_device_store=_bool(o.flag("in_device_store")),
                anchors_interception=_bool(o.flag("anchors_interception")),
                over=over,
                subject_contains=o.text("subject_contains"),
            )
        )
        o.done()
    t.done()
    if absent and (detected is not None or host or failure or exact):
        raise t.err("absent", _("'absent = true' takes no other key"))
    return PortalExp(detected, host, failure, tuple(offered), exact, bool(absent))


def _bool(v: bool | str | None) -> bool | None:
    return v if isinstance(v, bool) else None


def _plan_kinds(plan: str, source: str) -> tuple[str, ...]:
    data = loads_toml(plan, _("{source}: key 'plan': not a valid plan", source=source), max_bytes=MAX_PLAN_BYTES)
    probes = data.get("probe")
    if not isinstance(probes, list) or not probes:
        raise BadInput(_("{source}: key 'plan': the plan has no [[probe]] tables", source=source))
    kinds = []
    for p in probes:
        k = p.get("kind") if isinstance(p, dict) else None
        if not isinstance(k, str):
            raise BadInput(_("{source}: key 'plan': every [[probe]] needs a 'kind'", source=source))
        kinds.append(k)
    return tuple(dict.fromkeys(kinds))


def parse(text: str, name: str, source: str) -> Scenario:
    """Read scenario ``text`` (``name`` is its name, ``source`` names it in errors); raises
    :class:`BadInput` naming the file and key on the first problem.
    """
    data = loads_toml(text, source, max_bytes=MAX_PLAN_BYTES)
    t = _T(data, "", source)
    title = t.text("title", required=True) or ""
    description = (t.text("description") or "").strip()
    timeout = t.num("timeout", 4.0, 0.5, 60)
    services = t.strs("services", choices=tuple(INTERNET)) or ("origins", "dns")
    options: dict[str, dict[str, Any]] = {}
    ot = t.sub("options")
    if ot is not None:
        for kind in list(ot.data):
            sub = ot.sub(kind)
            assert sub is not None
            if kind not in services:
                raise BadInput(_("{source}: key '{key}': '{kind}' is not in 'services'", source=source,
                                 key=f"options.{kind}", kind=kind))
            options[kind] = dict(sub.data)
            try:
                internet_service(kind, options[kind], f"options.{kind}")
            except (ValueError, TypeError) as exc:
                raise BadInput(_("{source}: key '{key}': {problem}", source=source, key=f"options.{kind}",
                                 problem=exc)) from None
        ot.done()
    plan = t.text("plan", required=True) or ""
    kinds = _plan_kinds(plan, source)
    device = t.sub("device")
    trusts: tuple[str, ...] = ("public",)
    if device is not None:
        trusts = device.strs("trusts", choices=TRUSTABLE) or ()
        device.done()
    censor = _censor(t.sub("censor"))
    et = t.sub("expect")
    if et is None:
        raise t.err("expect", _("is required (the verdicts a correct check reaches)"))
    expect = _expect(et)
    t.done()
    if "interceptor" in trusts and censor.intercept is None:
        raise BadInput(_("{source}: key '{key}': 'interceptor' needs a [censor.intercept] table", source=source,
                         key="device.trusts"))
    if censor.portal is not None and "interceptor" in censor.portal.offer and censor.intercept is None:
        raise BadInput(_("{source}: key '{key}': 'interceptor' needs a [censor.intercept] table", source=source,
                         key="censor.portal.offer"))
    if (
        expect.portal is not None
        and censor.intercept is None
        and any(o.root == "interceptor" for o in expect.portal.offered)
    ):
        raise BadInput(_("{source}: key '{key}': 'interceptor' needs a [censor.intercept] table", source=source,
                         key="expect.portal.offered.root"))
    if any(f.root == "interceptor" for f in expect.interception) and censor.intercept is None:
        raise BadInput(_("{source}: key '{key}': 'interceptor' needs a [censor.intercept] table", source=source,
                         key="expect.interception.root"))
    for f in expect.interception:
        if f.known_as is not None and f.known_as != NONE and not f.known_as.strip():
            raise BadInput(_("{source}: key '{key}': empty", source=source, key="expect.interception.known_as"))
    return Scenario(
        name,
        title,
        description,
        timeout,
        tuple(dict.fromkeys(services)),
        plan,
        trusts,
        censor,
        expect,
        source,
        kinds,
        options,
    )


_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}")


def placeholders(plan: str) -> list[str]:
    """The ``{{instance.key}}`` names in a plan, in order of first use, without repeats."""
    return list(dict.fromkeys(m.group(1) for m in _PLACEHOLDER.finditer(plan)))


def fill_plan(plan: str, values: dict[str, str], source: str) -> str:
    """Replace ``{{instance.key}}`` with the services' values, escaped for a TOML basic string."""

    def sub(m: re.Match[str]) -> str:
        key = m.group(1)
        if key not in values:
            known = ", ".join(sorted(values)) or _("none")
            raise BadInput(_("{source}: key 'plan': no service publishes '{name}' (published: {known})", source=source,
                             name="{{" + key + "}}", known=known))
        return values[key].replace("\\", "\\\\").replace('"', '\\"')

    return _PLACEHOLDER.sub(sub, plan)


def shipped_dir() -> Path:
    """The folder of the shipped scenarios (``pathprobe/lab/scenarios``)."""
    return Path(str(resources.files("pathprobe.lab") / "scenarios"))


def shipped() -> list[str]:
    """The names of the shipped scenarios, sorted."""
    return sorted(p.stem for p in shipped_dir().glob("*.toml"))


def load(name_or_path: str) -> Scenario:
    """A shipped scenario by name, or a scenario file by path."""
    p = Path(name_or_path)
    if name_or_path.endswith(".toml") or "/" in name_or_path:
        path = p
    else:
        path = shipped_dir() / f"{name_or_path}.toml"
        if not path.is_file():
            raise BadInput(_("no lab scenario '{name}'; shipped scenarios: {names}", name=name_or_path,
                             names=", ".join(shipped())))
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise BadInput(_("{path}: no such scenario file", path=path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(_("{path}: cannot read the scenario: {reason}", path=path, reason=exc)) from None
    return parse(text, path.stem, str(path))
