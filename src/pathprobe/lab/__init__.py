"""``pathprobe lab``: offline censored networks built from real software on one Linux machine.

    topology.py   the three network namespaces (pp-client, pp-censor, pp-inet) and their veth links
    world.py      the lab's fixed addresses and made-up site names
    certs.py      the lab public CA and interception roots (cached under ~/.cache/pathprobe/lab)
    services/     one module per program the lab runs (origins, dns, doh, socks5, dns-lie, interceptor)
    servers/      the servers' own code and configurations (portal server, VPN server configs, a
                  private Tor network, the CA) — also used by the tests, never by a user's check
    censor.py     the censor's nft ruleset (filters, DNS hijack, redirect to the interceptor)
    scenario.py   scenario files (TOML, shipped in scenarios/) and their validation
    expect.py     comparing a profile with a scenario's expected verdicts (pure)
    lifecycle.py  up / down / status / check, the state file, stale-lab cleanup

Nothing here is ever connected to the host's own network: every address lives inside the namespaces.
Its errors are :class:`~pathprobe.errors.LabError` (exit 1) and :class:`~pathprobe.errors.BadInput`
(exit 2: bad scenarios, and a machine where the lab cannot run), both in :mod:`pathprobe.errors`.
"""
