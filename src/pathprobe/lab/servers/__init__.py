"""The lab's own servers and what they need: code that plays the other side of a path.

    portal.py  a captive / certificate-install portal, an HTTP(S) server
               (``python -m pathprobe.lab.servers.portal``; the lab's ``portal`` and ``detect``)
    vpn.py     explicit configurations for the real VPN servers and proxies (OpenVPN, wireguard-go,
               ss-server, microsocks, tinyproxy) and starting them
    tor.py     a private Tor network from the real ``tor`` and ``obfs4proxy``
    pki.py     a small certificate authority (the lab's public CA, interception roots, test origins)

The lab services (:mod:`pathprobe.lab.services`) and the tests run these; nothing a user's check
runs imports them (``tests/test_imports.py`` holds that line).
"""
