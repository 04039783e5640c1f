"""pathprobe's vocabulary: every failure, signal and verdict word, spelled once.

Each word is a member of a string enum. A member *is* a ``str`` (``Failure.EOF_ERROR == "eof_error"``),
so profiles, summaries and goldens read and write exactly the strings they always did, and code that
receives plain strings from JSON compares them with members directly. Other modules import these
enums instead of repeating the words; ``tests/test_vocab.py`` fails on any failure, signal, verdict,
connectivity or advice-case string spelled anywhere else in ``src/pathprobe``.

=================  =======================================================================
:class:`Failure`   why a network step failed (OONI's df-007-errors names, plus our own)
:class:`Signal`    interception evidence on one HTTPS target (DESIGN "Signal names")
:class:`Reachability`  a path's or target's reachability verdict
:class:`TlsVerdict`    a path's or target's TLS verdict
:class:`Connectivity`  the network's state (``network.connectivity``)
:class:`Role`      what a target is to its path (a canary site, a control, ...)
:class:`Step`      one measured step of an observation
:class:`AdviceCase`    stable ids of what the advice covers (``recommendation.cases``)
:class:`Severity`  how a report colours its answer
=================  =======================================================================
"""

from __future__ import annotations

from enum import StrEnum, unique


class Word(StrEnum):
    """A vocabulary word: a ``str`` in every respect, ``repr`` included.

    ``str()``, f-strings and JSON give the value (as for any ``StrEnum``); ``repr()`` gives the
    string's repr too, so a list or dict of words prints exactly as the same strings always did
    (messages that show a verdict dict, assertion output). Test a value read from JSON against the
    members (``value in tuple(Reachability)``, which also takes unhashable junk), never
    ``value in Reachability``: that raises ``TypeError`` on Python 3.11.
    """

    def __repr__(self) -> str:
        return repr(self._value_)


@unique
class Failure(Word):
    """A normalised failure string: one network step's outcome when it did not succeed.

    The first group is OONI's vocabulary (df-007-errors); the rest name failures of protocols OONI
    has no word for. A failure outside this enum is ``unknown_failure: <scrubbed detail>``
    (see :func:`pathprobe.net.failures.classify`).
    """

    # OONI df-007-errors
    GENERIC_TIMEOUT_ERROR = "generic_timeout_error"
    CONNECTION_REFUSED = "connection_refused"
    CONNECTION_RESET = "connection_reset"
    EOF_ERROR = "eof_error"
    DNS_NXDOMAIN_ERROR = "dns_nxdomain_error"
    DNS_NO_ANSWER = "dns_no_answer"
    DNS_SERVER_FAILURE = "dns_server_failure"
    SSL_UNKNOWN_AUTHORITY = "ssl_unknown_authority"
    SSL_INVALID_HOSTNAME = "ssl_invalid_hostname"
    SSL_INVALID_CERTIFICATE = "ssl_invalid_certificate"
    SSL_FAILED_HANDSHAKE = "ssl_failed_handshake"
    SSL_CHAIN_TOO_LARGE = "ssl_chain_too_large"
    HOST_UNREACHABLE = "host_unreachable"
    NETWORK_UNREACHABLE = "network_unreachable"
    INTERNAL_ERROR = "internal_error"
    UNKNOWN_FAILURE = "unknown_failure"
    """The prefix of a fallback string: ``unknown_failure: <scrubbed detail>``."""

    # plain HTTP (portal detection, tunnels' own answers)
    HTTP_INVALID_RESPONSE = "http_invalid_response"
    HTTP_RESPONSE_TOO_LARGE = "http_response_too_large"
    HTTP_REDIRECT_LOOP = "http_redirect_loop"
    HTTP_TOO_MANY_REDIRECTS = "http_too_many_redirects"

    # DNS over HTTPS
    DOH_HTTP_ERROR = "doh_http_error"
    """The resolver answered with an HTTP status other than 200."""
    DOH_BAD_CONTENT_TYPE = "doh_bad_content_type"
    """The answer is not ``application/dns-message``."""
    DOH_RESPONSE_TOO_LARGE = "doh_response_too_large"
    """More bytes than a DNS message may hold."""
    DOH_TRUNCATED_RESPONSE = "doh_truncated_response"
    """The connection ended inside the answer."""
    DOH_INVALID_RESPONSE = "doh_invalid_response"
    """Not a well-formed DNS message, or not an answer to the query sent."""
    DOH_STREAM_RESET = "doh_stream_reset"
    """The resolver reset the HTTP/2 stream."""

    # proxies and VPN handshakes
    SOCKS_INVALID_REPLY = "socks_invalid_reply"
    SOCKS_AUTH_FAILED = "socks_auth_failed"
    SOCKS_GENERAL_FAILURE = "socks_general_failure"
    SOCKS_CONNECTION_NOT_ALLOWED = "socks_connection_not_allowed"
    SOCKS_COMMAND_NOT_SUPPORTED = "socks_command_not_supported"
    SOCKS_ADDRESS_TYPE_NOT_SUPPORTED = "socks_address_type_not_supported"
    HTTP_PROXY_INVALID_REPLY = "http_proxy_invalid_reply"
    HTTP_PROXY_AUTH_REQUIRED = "http_proxy_auth_required"
    HTTP_PROXY_REFUSED = "http_proxy_refused"
    SHADOWSOCKS_INVALID_REPLY = "shadowsocks_invalid_reply"
    SHADOWSOCKS_BAD_TARGET = "shadowsocks_bad_target"
    OPENVPN_INVALID_REPLY = "openvpn_invalid_reply"
    UDP_FLOODED = "udp_flooded"
    """Too many unrelated datagrams arrived while waiting for the answer."""

    # Tor bootstrap
    TOR_TRANSPORT_FAILED = "tor_transport_failed"
    """The pluggable transport could not start or stopped."""
    TOR_EXITED = "tor_exited"
    """tor exited before bootstrapping."""


def is_unknown_failure(failure: str | None) -> bool:
    """Whether ``failure`` is an ``unknown_failure`` string: no evidence of what the network did (a fault
    of this device such as ``EMFILE`` or ``ENOENT``, see :data:`pathprobe.net.failures.LOCAL_ERRNOS`, or
    an error nothing else names). A target failing so is ``unknown``, never ``blocked``."""
    return failure is not None and (failure == Failure.UNKNOWN_FAILURE
                                    or failure.startswith(f"{Failure.UNKNOWN_FAILURE}:"))


@unique
class Signal(Word):
    """Interception evidence on one HTTPS target (DESIGN "TLS evidence and verdicts"), and ``throttled``
    (DESIGN "Throughput and throttling"), which is not interception evidence."""

    DEVICE_TRUSTED_NOT_PUBLIC = "device_trusted_not_public"
    KNOWN_INTERCEPTION_ROOT = "known_interception_root"
    UNTRUSTED_CHAIN = "untrusted_chain"
    """Valid for neither store while another path saw a publicly valid chain for the name."""
    CROSS_PATH_MISMATCH = "cross_path_mismatch"
    MISSING_SCT = "missing_sct"
    DNS_TAMPERING = "dns_tampering"
    PORTAL_OFFERED_ROOT = "portal_offered_root"
    """The chain is signed by a certificate that the network's portal offers for installation."""
    LEGACY_PUBLIC_ROOT = "legacy_public_root"
    """Anchored at a root Mozilla retired (supporting evidence, not interception)."""
    DISTRUSTED_ROOT = "distrusted_root"
    """Anchored at a root Mozilla removed for cause, or issued after its distrust date."""
    THROTTLED = "throttled"
    """Reached, but its page came at under a tenth of a comparable's goodput (not interception; issue 17)."""


@unique
class Reachability(Word):
    """Whether a path (or one target on it) could be reached."""

    REACHABLE = "reachable"
    PARTIAL = "partial"
    """Some of the path's targets were reached (paths only)."""
    BLOCKED = "blocked"
    UNKNOWN = "unknown"
    """Could not be tested (the reason is given)."""


@unique
class TlsVerdict(Word):
    """Whether HTTPS over a path (or to one target) was genuine."""

    INTACT = "intact"
    INTERCEPTED = "intercepted"
    UNVERIFIED = "unverified"
    """No HTTPS could be checked."""


@unique
class Connectivity(Word):
    """The network's state as a whole (``network.connectivity``)."""

    ONLINE = "online"
    PORTAL = "portal"
    """A captive portal answered in place of the known page."""
    OFFLINE = "offline"


@unique
class Role(Word):
    """What a target is to the path it was tested on."""

    SITE = "site"
    """A canary site."""
    CONTROL = "control"
    """A site not expected to be tampered with."""
    ENDPOINT = "endpoint"
    """A VPN endpoint, a Tor first hop: reached by a handshake, not HTTPS."""
    RESOLVER = "resolver"
    """A DoH resolver."""


@unique
class Step(Word):
    """One measured step of an :class:`~pathprobe.model.Observation`."""

    DNS = "dns"
    TCP = "tcp"
    TLS = "tls"
    HTTP = "http"
    BOOTSTRAP = "bootstrap"
    HANDSHAKE = "handshake"
    PROXY = "proxy"
    DOH = "doh"
    PORTAL = "portal"
    DIAGNOSIS = "diagnosis"
    """A blocking-diagnosis handshake to an unreached target's address (a control name, an evasion)."""


@unique
class AdviceCase(Word):
    """Stable ids of what the advice covers (``recommendation.cases``; see :mod:`pathprobe.analysis.advice`)."""

    OFFLINE = "offline"
    CAPTIVE_PORTAL = "captive_portal"
    PORTAL_OFFERS_CERTIFICATE = "portal_offers_certificate"
    KNOWN_ROOT_TRUSTED = "known_root_trusted"
    INTERCEPTION_KNOWN_ROOT = "interception_known_root"
    INTERCEPTION_UNKNOWN_ISSUER = "interception_unknown_issuer"
    INTERCEPTION_SOME_PATHS = "interception_some_paths"
    INTERCEPTION_ALL_PATHS = "interception_all_paths"
    DNS_TAMPERING = "dns_tampering"
    DISTRUSTED_ROOT = "distrusted_root"
    BLOCKING = "blocking"
    THROTTLING = "throttling"
    NOTHING_WORKS = "nothing_works"
    CLEAN = "clean"
    LEGACY_PUBLIC_ROOT = "legacy_public_root"
    # --- blocking diagnosis (issue 17) ---
    SNI_FILTERING = "sni_filtering"
    """Sites blocked by the server name in the TLS hello; whether splitting the hello got through."""
    ADDRESS_BLOCKING = "address_blocking"
    """Sites whose address is blocked, whatever the name."""


# --- blocking diagnosis (issue 17; DESIGN "Blocking diagnosis, evasion and throttling") ---


@unique
class BlockStage(Word):
    """``blocking.stage``: the first step of an unreached target that failed."""

    DNS = "dns"
    TCP = "tcp"
    TLS = "tls"
    HTTP = "http"


@unique
class BlockAction(Word):
    """``blocking.action``: what the network did (it agrees with the target's ``failure``)."""

    TIMEOUT = "timeout"
    RESET = "reset"
    CLOSE = "close"
    REFUSED = "refused"
    NXDOMAIN = "nxdomain"
    BOGUS_ANSWER = "bogus_answer"
    CERTIFICATE = "certificate"
    OTHER = "other"


@unique
class BlockTrigger(Word):
    """``blocking.trigger`` (stage ``tls`` only): what the network reacts to."""

    SNI = "sni"
    """The server answered the same address under a control name: the target's name is the trigger."""
    ADDRESS = "address"
    """The control name failed the same way at the same address."""


@unique
class Evasion(Word):
    """``blocking.evasion[].strategy``: a way of sending the TLS hello that a per-packet filter may miss."""

    TCP_SEGMENTS = "tcp_segments"
    """The ClientHello in several TCP segments, split inside the server name (TCP_NODELAY)."""
    TLS_RECORDS = "tls_records"
    """The ClientHello re-framed into two TLS records, split inside the server name."""


@unique
class EvasionOutcome(Word):
    """``blocking.evasion[].outcome``."""

    REACHED = "reached"
    BLOCKED = "blocked"


@unique
class Severity(Word):
    """How a report colours its answer."""

    GOOD = "good"
    WARN = "warn"
    """Blocking, a portal, offline, or no usable path."""
    BAD = "bad"
    """Interception, or roots to remove."""
