"""Tor support for the ``tor`` probe kind (:mod:`pathprobe.probes.tor`).

- :mod:`~pathprobe.tor.bridges`: parse and validate bridge lines; keep them secret.
- :mod:`~pathprobe.tor.quick`: first-hop handshakes (ORPort TLS, obfs4, domain fronts).
- :mod:`~pathprobe.tor.launch`: start tor, follow its bootstrap, stop it by PID.

Client code only: the private Tor network that the tests and the lab run is
:mod:`pathprobe.lab.servers.tor`.
"""
