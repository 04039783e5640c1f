"""Tor support for the ``tor`` probe kind (:mod:`pathprobe.probes.tor`).

- :mod:`~pathprobe.tor.bridges`: parse and validate bridge lines; keep them secret.
- :mod:`~pathprobe.tor.quick`: first-hop handshakes (ORPort TLS, obfs4, domain fronts).
- :mod:`~pathprobe.tor.launch`: start tor, follow its bootstrap, stop it by PID.
- :mod:`~pathprobe.tor.testnet`: a private Tor network for the tests and the lab.
"""
