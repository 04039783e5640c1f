"""The profile (``schema: "pathprobe.profile/1"``, DESIGN.md "Profile JSON"): frozen dataclasses.

::

    Profile
     ├── network: Network ──── portal: Portal | None ──── offered_certificates: OfferedCertificate, ...
     ├── paths: Path, ... ──── targets: Target, ... ──┬─ legacy_root: FormerPublicRoot | None
     │                                                  └─ throttle: Throttle | None
     ├── interception: Finding, ...
     ├── trust_store: TrustStore ──── known_interception_roots: InterceptionRoot, ...
     ├── recommendation: Recommendation
     └── observations: Observation, ...   (the measurements, :class:`pathprobe.model.Observation`)

The analysis makes one from measurements (:func:`pathprobe.analysis.pipeline.analyse`);
:meth:`Profile.to_json` writes it and :meth:`Profile.from_json` (or :func:`load_profile`, from a file)
reads it back, checking every field it types: bad input is one :class:`~pathprobe.errors.BadInput`
naming the source and the field ("...: not a pathprobe profile: ...", exit 2).

"Fields may be added" (DESIGN.md): keys this pathprobe does not know are kept in each object's
``extra`` and written back, and an object read from JSON remembers its keys and their order
(``layout``), so a profile read and written again is byte-identical, whichever pathprobe wrote it
(older versions put some keys elsewhere or left out fields added since). Fields that older or
hand-made profiles may leave out have defaults.

Verdicts are typed with :mod:`pathprobe.vocab`'s enums. Signals, roles, failures and advice cases stay
strings: a newer pathprobe may add words, and a profile it made must still load here.
"""

from __future__ import annotations

import binascii
import contextlib
import dataclasses
import gc
import json
import pathlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from pathprobe.bounded import MAX_PROFILE_BYTES, loads_json
from pathprobe.errors import BadInput
from pathprobe.i18n import N_, _
from pathprobe.model import Observation
from pathprobe.vocab import Connectivity, EvasionOutcome, Reachability, TlsVerdict

SCHEMA = "pathprobe.profile/1"


_E = TypeVar("_E", bound=StrEnum)


# ------------------------------------------------------------------------------------ reading


_MUST_BE = {
    "a string or null": N_("{field} must be a string or null"),
    "a string": N_("{field} must be a string"),
    "true, false or null": N_("{field} must be true, false or null"),
    "a number or null": N_("{field} must be a number or null"),
    "a list of strings": N_("{field} must be a list of strings"),
    "a list of objects": N_("{field} must be a list of objects"),
    "a list": N_("{field} must be a list"),
    "an object or null": N_("{field} must be an object or null"),
    "an object": N_("{field} must be an object"),
    "an AS number (an integer) or null": N_("{field} must be an AS number (an integer) or null"),
    "online, portal or offline": N_("{field} must be online, portal or offline"),
    "TLS evidence (sni, version, chain of certificates with der_b64)":
        N_("{field} must be TLS evidence (sni, version, chain of certificates with der_b64)"),
}
"""What a field must be (the ``what`` of :meth:`_Fields.fail`), each as one whole sentence to translate."""


class _Fields:
    """One JSON object being read: typed getters whose errors name the source and the field.

    ``loc`` is where the object sits: ``""`` (the top level), a dotted name (``network.portal``:
    fields are named ``'network.portal.host'``) or a place in a list (``paths[0] ('direct')``: fields
    are named ``paths[0] ('direct'): 'tls'``)."""

    def __init__(self, data: Mapping[str, Any], loc: str, bad: Callable[[str], BadInput]) -> None:
        self.data = data
        self.loc = loc
        self.bad = bad

    def name(self, key: str) -> str:
        if not self.loc:
            return f"'{key}'"
        if "[" in self.loc:
            return f"{self.loc}: '{key}'"
        return f"'{self.loc}.{key}'"

    def at(self, key: str) -> str:
        """The location of the value under ``key`` (for the objects inside it)."""
        return f"{self.loc}.{key}" if self.loc else key

    def fail(self, key: str, what: str) -> BadInput:
        """``what``: one of :data:`_MUST_BE`'s keys, told as its whole sentence in the reader's language."""
        return self.bad(_(_MUST_BE[what], field=self.name(key)))

    def fail_choice(self, key: str, enum: type[_E]) -> BadInput:
        return self.bad(_("{field} must be one of {choices}", field=self.name(key), choices=", ".join(sorted(enum))))

    def text(self, key: str, what: str = "a string or null") -> str | None:
        v = self.data.get(key)
        if v is not None and not isinstance(v, str):
            raise self.fail(key, what)
        return v

    def flag(self, key: str) -> bool | None:
        v = self.data.get(key)
        if v is not None and not isinstance(v, bool):
            raise self.fail(key, "true, false or null")
        return v

    def number(self, key: str) -> float | None:
        """A JSON number as read (an ``int`` stays one, so it is written back the same)."""
        v = self.data.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int | float)):
            raise self.fail(key, "a number or null")
        return v

    def strings(self, key: str) -> tuple[str, ...]:
        v = self.data.get(key)
        if v is None:
            return ()
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise self.fail(key, "a list of strings")
        return tuple(v)

    def objects(self, key: str) -> list[dict[str, Any]]:
        v = self.data.get(key)
        if v is None:
            return []
        if not isinstance(v, list) or not all(isinstance(x, dict) for x in v):
            raise self.fail(key, "a list of objects")
        return v

    def obj(self, key: str, what: str = "an object or null") -> Mapping[str, Any] | None:
        v = self.data.get(key)
        if v is not None and not isinstance(v, dict):
            raise self.fail(key, what)
        return v

    def word(self, key: str, enum: type[_E], what: str | None = None) -> _E | None:
        v = self.data.get(key)
        if v is None:
            return None
        if not isinstance(v, str) or v not in tuple(enum):
            raise self.fail(key, what) if what else self.fail_choice(key, enum)
        return enum(v)

    def required_word(self, key: str, enum: type[_E]) -> _E:
        v = self.word(key, enum)
        if v is None:
            raise self.fail_choice(key, enum)
        return v

    def kept(self, cls: type[JsonObject]) -> dict[str, Any]:
        """``extra`` and ``layout`` for ``cls``: the keys it does not know, and every key's position."""
        known = cls.json_keys()
        return {
            "extra": {k: v for k, v in self.data.items() if k not in known},
            "layout": tuple(self.data),
        }


# ------------------------------------------------------------------------------------ writing


@dataclass(frozen=True, kw_only=True)
class JsonObject:
    """What every object of the profile shares: unknown keys kept, and the key order as read."""

    extra: Mapping[str, Any] = field(default_factory=dict)
    """Keys this pathprobe does not know (fields a newer version added), with their JSON values as read."""
    layout: tuple[str, ...] | None = field(default=None, compare=False, repr=False)
    """The object's keys in the order they were read; None for an object this pathprobe made (then
    the keys come in the order of the fields)."""

    OMIT_WHEN_EMPTY: ClassVar[frozenset[str]] = frozenset()
    """Keys pathprobe leaves out of the JSON when their value is null or empty."""

    @classmethod
    def json_keys(cls) -> tuple[str, ...]:
        """The JSON keys of this object, in the order pathprobe writes them (its field names)."""
        return tuple(f.name for f in dataclasses.fields(cls) if f.name not in ("extra", "layout"))

    def _json_value(self, key: str) -> Any:
        return _plain(getattr(self, key))

    def _is_default(self, key: str) -> bool:
        f = next(f for f in dataclasses.fields(self) if f.name == key)
        if f.default is not dataclasses.MISSING:
            return bool(getattr(self, key) == f.default)
        if f.default_factory is not dataclasses.MISSING:
            return bool(getattr(self, key) == f.default_factory())
        return False

    def to_dict(self) -> dict[str, Any]:
        """The JSON object: dicts, lists and scalars (verdicts stay enum members, which are strings)."""
        keys = self.json_keys()
        if self.layout is None:
            out = {
                k: self._json_value(k)
                for k in keys
                if not (k in self.OMIT_WHEN_EMPTY and not getattr(self, k))
            }
            out.update((k, v) for k, v in self.extra.items() if k not in out)
            return out
        out = {}
        for k in self.layout:
            if k in keys:
                out[k] = self._json_value(k)
            elif k in self.extra:
                out[k] = self.extra[k]
        # Keys that were not read: written only once they hold something other than their default.
        for k in keys:
            if k not in out and not self._is_default(k):
                out[k] = self._json_value(k)
        out.update((k, v) for k, v in self.extra.items() if k not in out)
        return out


def _plain(v: Any) -> Any:
    if isinstance(v, JsonObject):
        return v.to_dict()
    if isinstance(v, Observation):
        return v.to_json()
    if isinstance(v, tuple):
        return [_plain(x) for x in v]
    if isinstance(v, Mapping):
        return dict(v)
    return v


# ------------------------------------------------------------------------------------ the profile


@dataclass(frozen=True, kw_only=True)
class OfferedCertificate(JsonObject):
    """A certificate the network's portal page offers for installation (``network.portal.offered_certificates``)."""

    sha256: str | None = None
    """SHA-256 of the DER certificate (hex)."""
    spki_sha256: str | None = None
    """SHA-256 of its SubjectPublicKeyInfo (hex)."""
    subject: str | None = None
    """Its subject (RFC 4514)."""
    known_as: str | None = None
    """The name on the shipped list of known interception roots, when it is one (by certificate or SPKI)."""
    in_device_store: bool | None = None
    """Whether this device already trusts it (by certificate or SPKI)."""
    anchors_interception: bool | None = None
    """Whether a chain seen in this check is signed by its key (the signature verified; names prove nothing)."""
    over: str | None = None
    """The scheme of the final fetch: ``http`` or ``https``."""

    @classmethod
    def read(cls, r: _Fields) -> OfferedCertificate:
        """One ``offered_certificates`` entry from its JSON object (read through ``r``): every field may be
        absent or null; :class:`BadInput` names a field of the wrong type.
        """
        return cls(
            sha256=r.text("sha256"),
            spki_sha256=r.text("spki_sha256"),
            subject=r.text("subject"),
            known_as=r.text("known_as"),
            in_device_store=r.flag("in_device_store"),
            anchors_interception=r.flag("anchors_interception"),
            over=r.text("over"),
            **r.kept(cls),
        )


@dataclass(frozen=True, kw_only=True)
class Portal(JsonObject):
    """``network.portal``: what the portal probe found (null in a profile whose plan has none)."""

    detected: bool | None = None
    """True when the known URL did not give its known answer, false when it did, null when it could not be fetched."""
    host: str | None = None
    """The host the network redirected the client to (null when the page was replaced in place)."""
    offered_certificates: tuple[OfferedCertificate, ...] = ()
    """Certificate files the portal page links, each fetched and named."""
    failure: str | None = None
    """Why the known URL could not be fetched at all (with ``detected`` null)."""

    @classmethod
    def read(cls, r: _Fields) -> Portal:
        """``network.portal`` from its JSON object, with its offered certificates; :class:`BadInput` names the
        first field of the wrong type.
        """
        where = r.at("offered_certificates")
        return cls(
            detected=r.flag("detected"),
            host=r.text("host"),
            offered_certificates=tuple(
                OfferedCertificate.read(_Fields(c, f"{where}[{i}]", r.bad))
                for i, c in enumerate(r.objects("offered_certificates"))
            ),
            failure=r.text("failure"),
            **r.kept(cls),
        )


@dataclass(frozen=True, kw_only=True)
class Network(JsonObject):
    """``network``: the network as a whole."""

    asn: int | None = None
    """The network's AS number, when known (pathprobe does not look it up: null)."""
    country: str | None = None
    """The network's country, when known (null)."""
    connectivity: Connectivity | None = None
    """``online``, ``portal`` or ``offline`` (null only in profiles older than the field)."""
    portal: Portal | None = None
    """The portal check; null when the plan has no portal probe."""

    @classmethod
    def read(cls, r: _Fields) -> Network:
        """``network`` from its JSON object: ``asn`` an integer, ``connectivity`` ``online``, ``portal`` or
        ``offline`` (each may be null); :class:`BadInput` names the first bad field.
        """
        asn = r.data.get("asn")
        if asn is not None and (isinstance(asn, bool) or not isinstance(asn, int)):
            raise r.fail("asn", "an AS number (an integer) or null")
        portal = r.obj("portal")
        return cls(
            asn=asn,
            country=r.text("country"),
            connectivity=r.word("connectivity", Connectivity, "online, portal or offline"),
            portal=Portal.read(_Fields(portal, r.at("portal"), r.bad)) if portal is not None else None,
            **r.kept(cls),
        )


@dataclass(frozen=True, kw_only=True)
class FormerPublicRoot(JsonObject):
    """``legacy_root`` of a target: the formerly public root its chain anchors at (retired, or removed for cause)."""

    subject: str | None = None
    """The root's subject (RFC 4514)."""
    sha256: str | None = None
    """SHA-256 of the root certificate (hex)."""
    reason: str | None = None
    """Why it left Mozilla's list: retired (by age or at its owner's request) or removed for cause."""
    left: str | None = None
    """When it left (a date or a year), when known."""
    distrust_after: str | None = None
    """Certificates issued after this date (ISO) are no longer trusted, when such a date was set."""

    @classmethod
    def read(cls, r: _Fields) -> FormerPublicRoot:
        """A target's ``legacy_root`` from its JSON object: every field a string or null, else
        :class:`BadInput` naming it.
        """
        return cls(
            subject=r.text("subject"),
            sha256=r.text("sha256"),
            reason=r.text("reason"),
            left=r.text("left"),
            distrust_after=r.text("distrust_after"),
            **r.kept(cls),
        )


# --- blocking diagnosis (issue 17) ---


@dataclass(frozen=True, kw_only=True)
class EvasionResult(JsonObject):
    """One evasion strategy tried on a blocked target (``blocking.evasion[]``)."""

    strategy: str
    """``tcp_segments`` or ``tls_records`` (:class:`~pathprobe.vocab.Evasion`)."""
    outcome: str | None = None
    """``reached`` (the handshake completed) or ``blocked``."""
    tls: str | None = None
    """For a reached handshake: its chain's verdict after the two-store validation (``intact``,
    ``intercepted``, ``unverified``); null when blocked."""
    failure: str | None = None
    """Why a blocked attempt failed."""

    @classmethod
    def read(cls, r: _Fields) -> EvasionResult:
        """One ``blocking.evasion[]`` entry; the caller has checked ``strategy`` is a string."""
        return cls(
            strategy=r.data["strategy"],
            outcome=r.text("outcome"),
            tls=r.text("tls"),
            failure=r.text("failure"),
            **r.kept(cls),
        )


# ---- throttling (issue 17) -------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Throttle(JsonObject):
    """``throttle`` of a target that carries the ``throttled`` signal: its goodput and the comparable one."""

    goodput_kbps: float | None = None
    """The target's goodput on this path, in kbit/s."""
    compared_with: str | None = None
    """What it was compared with: ``<target> on <path id>`` (a control on the same path, or the same site on
    another path that reached it)."""
    comparable_kbps: float | None = None
    """That comparable's goodput, in kbit/s (more than ten times the target's)."""

    @classmethod
    def read(cls, r: _Fields) -> Throttle:
        """A target's ``throttle`` from its JSON object: two numbers and a string, each may be null."""
        return cls(
            goodput_kbps=r.number("goodput_kbps"),
            compared_with=r.text("compared_with"),
            comparable_kbps=r.number("comparable_kbps"),
            **r.kept(cls),
        )


@dataclass(frozen=True, kw_only=True)
class Blocking(JsonObject):
    """``paths[].targets[].blocking``: how an unreached target on ``direct`` or ``doh:*`` was blocked
    (DESIGN "Blocking diagnosis, evasion and throttling")."""

    stage: str | None = None
    """The first step that failed: ``dns``, ``tcp``, ``tls`` or ``http`` (:class:`~pathprobe.vocab.BlockStage`)."""
    action: str | None = None
    """What the network did (:class:`~pathprobe.vocab.BlockAction`); agrees with the target's ``failure``."""
    trigger: str | None = None
    """Stage ``tls`` only: ``sni`` or ``address`` (:class:`~pathprobe.vocab.BlockTrigger`); null when
    it could not be told."""
    evidence: tuple[str, ...] = ()
    """What the diagnosis saw, in plain sentences (the control handshake, ...)."""
    evasion: tuple[EvasionResult, ...] = ()
    """Each evasion strategy tried (only when ``trigger`` is ``sni``)."""

    @classmethod
    def read(cls, r: _Fields) -> Blocking:
        """``blocking`` from its JSON object; :class:`BadInput` names the first field of the wrong type."""
        where = r.at("evasion")
        ev = []
        for i, e in enumerate(r.objects("evasion")):
            if not isinstance(e.get("strategy"), str):
                raise r.bad(_("{field} needs a 'strategy' string", field=f"{where}[{i}]"))
            ev.append(EvasionResult.read(_Fields(e, f"{where}[{i}]", r.bad)))
        return cls(
            stage=r.text("stage"),
            action=r.text("action"),
            trigger=r.text("trigger"),
            evidence=r.strings("evidence"),
            evasion=tuple(ev),
            **r.kept(cls),
        )

    @property
    def evasion_reached(self) -> tuple[str, ...]:
        """The strategies whose handshake completed."""
        return tuple(e.strategy for e in self.evasion if e.outcome == EvasionOutcome.REACHED)


@dataclass(frozen=True, kw_only=True)
class Target(JsonObject):
    """One site, control, resolver or endpoint tested on a path (``paths[].targets[]``)."""

    OMIT_WHEN_EMPTY: ClassVar[frozenset[str]] = frozenset({"legacy_root", "note", "blocking", "throttle"})

    target: str
    """What was contacted: ``host[:port]``, a resolver URL, an endpoint or a Tor first hop."""
    role: str | None = None
    """What it is to the path: ``site``, ``control``, ``resolver``, ``endpoint`` (:class:`~pathprobe.vocab.Role`)."""
    reachability: Reachability | None = None
    """Whether it was reached (null only in hand-made profiles)."""
    tls: TlsVerdict | None = None
    """Whether its HTTPS was genuine (null only in hand-made profiles)."""
    failure: str | None = None
    """The first failing step's normalised failure string; null when it was reached."""
    signals: tuple[str, ...] = ()
    """Interception and supporting evidence (:class:`~pathprobe.vocab.Signal` words), in a fixed order."""
    legacy_root: FormerPublicRoot | None = None
    """The formerly public root the chain anchors at, when it does (not interception)."""
    note: str | None = None
    """A plain explanation: why silence is ``unknown``, what a DNS lie was, why a root is distrusted."""
    blocking: Blocking | None = None
    """How it was blocked (unreached targets on ``direct`` and ``doh:*`` only; absent otherwise)."""
    throttle: Throttle | None = None
    """With the ``throttled`` signal: the goodput seen and what it was compared with (issue 17)."""

    @classmethod
    def read(cls, r: _Fields) -> Target:
        """One ``targets[]`` entry; the caller has checked that ``target`` is a string (without it,
        ``KeyError``). Verdicts must be their vocabulary's words or null; :class:`BadInput` names the first
        bad field.
        """
        legacy = r.obj("legacy_root")
        blocking = r.obj("blocking")
        throttle = r.obj("throttle")
        return cls(
            target=r.data["target"],
            role=r.text("role"),
            reachability=r.word("reachability", Reachability),
            tls=r.word("tls", TlsVerdict),
            failure=r.text("failure"),
            signals=r.strings("signals"),
            legacy_root=(
                FormerPublicRoot.read(_Fields(legacy, f"{r.loc}.legacy_root", r.bad)) if legacy is not None else None
            ),
            note=r.text("note"),
            blocking=Blocking.read(_Fields(blocking, f"{r.loc}.blocking", r.bad)) if blocking is not None else None,
            throttle=Throttle.read(_Fields(throttle, f"{r.loc}.throttle", r.bad)) if throttle is not None else None,
            **r.kept(cls),
        )


@dataclass(frozen=True, kw_only=True)
class Path(JsonObject):
    """One way to reach the web and its two verdicts (``paths[]``)."""

    OMIT_WHEN_EMPTY: ClassVar[frozenset[str]] = frozenset({"reason", "detail"})

    id: str
    """The stable path id: ``direct``, ``doh:<name>``, ``tor:<name>``, ``vpn:<name>``."""
    kind: str
    """The probe kind that tested it (``direct``, ``doh``, ``tor``, ``vpn``, or a third-party kind)."""
    reachability: Reachability
    """``reachable`` (every target reached), ``partial``, ``blocked`` or ``unknown`` (see ``reason``)."""
    tls: TlsVerdict
    """``intercepted`` when any target is, ``intact`` when one was checked and none is, else ``unverified``."""
    latency_ms: float | None = None
    """Median latency of the reached targets, in milliseconds; null when none was reached."""
    reason: str | None = None
    """Why the path is ``unknown`` or ``blocked`` when its targets alone do not say."""
    targets: tuple[Target, ...] = ()
    """Every site and control (and resolver or endpoint) tested on this path."""
    detail: Mapping[str, Any] = field(default_factory=dict)
    """What the probe kind adds about the path (transport, protocol, bootstrap, first hops, ...): free-form."""

    @classmethod
    def read(cls, r: _Fields) -> Path:
        """One ``paths[]`` entry with its targets; the caller has checked that ``id`` is a string (without it,
        ``KeyError``). ``kind`` and both verdicts are required; :class:`BadInput` names the first bad field.
        """
        kind = r.data.get("kind")
        if not isinstance(kind, str):
            raise r.fail("kind", "a string")
        detail = r.obj("detail", "an object")
        targets = r.data.get("targets", [])
        if not isinstance(targets, list):
            raise r.fail("targets", "a list")
        read_targets = []
        for j, t in enumerate(targets):
            where = f"{r.loc}.targets[{j}]"
            if not isinstance(t, dict) or not isinstance(t.get("target"), str):
                raise r.bad(_("{field} needs a 'target' string", field=where))
            read_targets.append(Target.read(_Fields(t, where, r.bad)))
        return cls(
            id=r.data["id"],
            kind=kind,
            reachability=r.required_word("reachability", Reachability),
            tls=r.required_word("tls", TlsVerdict),
            latency_ms=r.number("latency_ms"),
            reason=r.text("reason", "a string"),
            targets=tuple(read_targets),
            detail=detail if detail is not None else {},
            **r.kept(cls),
        )


@dataclass(frozen=True, kw_only=True)
class Finding(JsonObject):
    """One interception finding (``interception[]``): a host, the anchoring root and issuer, the paths it was seen on."""

    host: str
    """The intercepted site's host."""
    paths: tuple[str, ...]
    """Every path id it was seen on."""
    issuer: str | None = None
    """The issuer of the presented leaf (RFC 4514)."""
    root_sha256: str | None = None
    """SHA-256 of the certificate anchoring the chain: the device-store root, else the top CA presented; null for a lone leaf."""
    root_subject: str | None = None
    """The subject of that certificate (so people see which root to distrust)."""
    known_as: str | None = None
    """Set only when a certificate matches the shipped list of known interception roots."""
    signals: tuple[str, ...] = ()
    """The signals seen for this host on these paths."""

    @classmethod
    def read(cls, r: _Fields) -> Finding:
        """One ``interception[]`` entry; the caller has checked that ``host`` is a string and ``paths`` a list
        (without ``host``, ``KeyError``). :class:`BadInput` names the first field of the wrong type.
        """
        return cls(
            host=r.data["host"],
            paths=r.strings("paths"),
            issuer=r.text("issuer"),
            root_sha256=r.text("root_sha256"),
            root_subject=r.text("root_subject"),
            known_as=r.text("known_as"),
            signals=r.strings("signals"),
            **r.kept(cls),
        )


@dataclass(frozen=True, kw_only=True)
class InterceptionRoot(JsonObject):
    """A known interception root this device trusts (``trust_store.known_interception_roots[]``)."""

    sha256: str | None = None
    """SHA-256 of the trusted certificate (hex)."""
    spki_sha256: str | None = None
    """SHA-256 of its SubjectPublicKeyInfo (hex)."""
    subject: str | None = None
    """Its subject (RFC 4514)."""
    known_as: str | None = None
    """Its name on the shipped list of known interception roots."""

    @classmethod
    def read(cls, r: _Fields) -> InterceptionRoot:
        """One ``trust_store.known_interception_roots[]`` entry: four strings or nulls, else :class:`BadInput`
        naming the field.
        """
        return cls(
            sha256=r.text("sha256"),
            spki_sha256=r.text("spki_sha256"),
            subject=r.text("subject"),
            known_as=r.text("known_as"),
            **r.kept(cls),
        )


@dataclass(frozen=True, kw_only=True)
class TrustStore(JsonObject):
    """``trust_store``: what this device's root store says."""

    source: str | None = None
    """Where the device roots came from (a file, an OS store)."""
    known_interception_roots: tuple[InterceptionRoot, ...] = ()
    """Known interception roots among them."""

    @classmethod
    def read(cls, r: _Fields) -> TrustStore:
        """``trust_store`` from its JSON object, with its known interception roots; :class:`BadInput` names
        the first bad field.
        """
        where = r.at("known_interception_roots")
        return cls(
            source=r.text("source", "a string"),
            known_interception_roots=tuple(
                InterceptionRoot.read(_Fields(x, f"{where}[{i}]", r.bad))
                for i, x in enumerate(r.objects("known_interception_roots"))
            ),
            **r.kept(cls),
        )


@dataclass(frozen=True, kw_only=True)
class Recommendation(JsonObject):
    """``recommendation``: the path to use, the usable paths ranked, and the advice."""

    path: str | None = None
    """The best path reachable with ``tls: intact`` (``ranked[0]``), or null when none is."""
    ranked: tuple[str, ...] = ()
    """The usable paths: Tor, then VPN/proxies, then DoH, then direct; then by median latency."""
    advice: str | None = None
    """One or two plain sentences (:mod:`pathprobe.analysis.advice`)."""
    cases: tuple[str, ...] = ()
    """Stable ids of what the advice covers (:class:`~pathprobe.vocab.AdviceCase` words)."""
    advice_messages: tuple[Mapping[str, Any], ...] = ()
    """The advice language-neutral, one object per sentence (:meth:`pathprobe.i18n.Msg.to_json`: ``msgid``,
    ``params``, ``plural`` and ``n``), so it can be told again in any language; left out when empty (profiles
    made before it stay byte-identical)."""

    OMIT_WHEN_EMPTY: ClassVar[frozenset[str]] = frozenset({"advice_messages"})

    @classmethod
    def read(cls, r: _Fields) -> Recommendation:
        """``recommendation`` from its JSON object; the caller has checked ``path`` (a string or null) and
        that ``ranked`` is a list. :class:`BadInput` names the first bad field.
        """
        return cls(
            path=r.data.get("path"),
            ranked=r.strings("ranked"),
            advice=r.text("advice", "a string"),
            cases=r.strings("cases"),
            advice_messages=tuple(r.objects("advice_messages")),
            **r.kept(cls),
        )


@dataclass(frozen=True, kw_only=True)
class Profile(JsonObject):
    """The per-network result: paths with verdicts, interception and trust-store findings, the
    recommendation, and the observations behind them."""

    schema: str = SCHEMA
    """Always ``pathprobe.profile/1``."""
    label: str | None = None
    """The person's label for the network (``check --label``); never in summaries."""
    created: str | None = None
    """When the check ran (UTC, ``2026-11-22T10:00:00Z``)."""
    tool_version: str | None = None
    """The pathprobe version that made it."""
    network: Network = field(default_factory=Network)
    """The network as a whole: connectivity and the portal."""
    paths: tuple[Path, ...] = ()
    """Every path tested, in plan order."""
    interception: tuple[Finding, ...] = ()
    """Interception findings, by host and anchoring root."""
    trust_store: TrustStore = field(default_factory=TrustStore)
    """Known interception roots this device trusts."""
    recommendation: Recommendation = field(default_factory=Recommendation)
    """The path to use and the advice."""
    observations: tuple[Observation, ...] = ()
    """Every measured step, by start time: the evidence behind the verdicts."""

    def to_json(self) -> str:
        """The profile as JSON text (two-space indent, UTF-8 kept, a final newline)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def path(self, path_id: str) -> Path | None:
        """The path with this id, if the profile has it."""
        return next((p for p in self.paths if p.id == path_id), None)

    @classmethod
    def from_json(cls, data: Any, source: str) -> Profile:
        """A profile from parsed JSON; :class:`BadInput` naming ``source`` and the first bad field."""

        def bad(msg: str) -> BadInput:
            return BadInput(_("{source}: not a pathprobe profile: {problem}", source=source, problem=msg))

        if not isinstance(data, dict):
            raise bad(_("the top level must be a JSON object"))
        if data.get("schema") != SCHEMA:
            raise bad(_("'schema' must be \"{schema}\" (found {found})", schema=SCHEMA, found=repr(data.get("schema"))))
        for key, typ in (("paths", list), ("interception", list), ("recommendation", dict), ("network", dict)):
            if not isinstance(data.get(key), typ):
                raise bad(_("'{key}' must be a list", key=key) if typ is list else _("'{key}' must be an object", key=key))
        r = _Fields(data, "", bad)
        paths = []
        for i, p in enumerate(data["paths"]):
            if not isinstance(p, dict) or not isinstance(p.get("id"), str):
                raise bad(_("{field} needs an 'id' string", field=f"paths[{i}]"))
            paths.append(Path.read(_Fields(p, f"paths[{i}] ('{p['id']}')", bad)))
        findings = []
        for i, f in enumerate(data["interception"]):
            if not isinstance(f, dict) or not isinstance(f.get("host"), str) or not isinstance(f.get("paths"), list):
                raise bad(_("{field} needs 'host' and 'paths'", field=f"interception[{i}]"))
            findings.append(Finding.read(_Fields(f, f"interception[{i}]", bad)))
        rec = data["recommendation"]
        if not isinstance(rec.get("ranked", []), list) or not (rec.get("path") is None or isinstance(rec["path"], str)):
            raise bad(_("'recommendation' needs 'path' (string or null) and 'ranked' (list)"))
        trust = r.obj("trust_store", "an object")
        return cls(
            schema=SCHEMA,
            label=r.text("label"),
            created=r.text("created"),
            tool_version=r.text("tool_version"),
            network=Network.read(_Fields(data["network"], "network", bad)),
            paths=tuple(paths),
            interception=tuple(findings),
            trust_store=TrustStore.read(_Fields(trust, "trust_store", bad)) if trust is not None else TrustStore(),
            recommendation=Recommendation.read(_Fields(rec, "recommendation", bad)),
            observations=tuple(_observation(o, f"observations[{i}]", bad) for i, o in enumerate(r.objects("observations"))),
            **r.kept(cls),
        )


def _observation(data: dict[str, Any], loc: str, bad: Callable[[str], BadInput]) -> Observation:
    """One observation (:meth:`pathprobe.model.Observation.from_json`), its fields checked first.

    Keys an observation has beyond the model's are not kept (observations are evidence, read by no
    report)."""
    r = _Fields(data, loc, bad)
    for key in ("path", "target", "step"):
        if not isinstance(data.get(key), str):
            raise r.fail(key, "a string")
    r.number("started_ms")
    r.number("duration_ms")
    r.text("failure")
    r.text("address")
    r.obj("detail", "an object")
    r.obj("tls", "an object")
    try:
        return Observation.from_json(data)
    except (KeyError, TypeError, ValueError, binascii.Error):  # what is left unchecked: the TLS evidence
        raise r.fail("tls", "TLS evidence (sni, version, chain of certificates with der_b64)") from None


def _read_json(path: str | pathlib.Path) -> tuple[Any, str]:
    """The parsed JSON of a profile file, bounded (:func:`pathprobe.bounded.loads_json`: at most
    :data:`~pathprobe.bounded.MAX_PROFILE_BYTES`), and the name errors use for it."""
    p = pathlib.Path(path)
    try:
        with p.open("rb") as fh:  # never read more than the cap (+1 to tell "too large")
            data = fh.read(MAX_PROFILE_BYTES + 1)
    except FileNotFoundError:
        raise BadInput(_("{file}: no such profile file", file=p)) from None
    except OSError as exc:
        raise BadInput(_("{file}: cannot read the profile: {reason}", file=p, reason=exc.strerror or exc)) from None
    return loads_json(data, str(p), max_bytes=MAX_PROFILE_BYTES), str(p)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a profile is read: parsing and building the profile make
    millions of objects and no cycles, and the collector's passes over them made reading tens of
    thousands of targets grow faster than the file (2.5 times slower at 20,000 targets)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_profile(path: str | pathlib.Path) -> Profile:
    """Read a saved profile; :class:`BadInput` (exit 2) naming the file on any problem."""
    with _gc_paused():
        return Profile.from_json(*_read_json(path))
