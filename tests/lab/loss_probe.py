"""Run inside the lab's client by test_loss_and_scale.py: how many of N DNS queries, each sent once
and never repeated, get an answer through the censor (prints JSON: sent, answered).

    python loss_probe.py COUNT
"""

from __future__ import annotations

import json
import socket
import sys

import dns.message

from pathprobe.lab import world as w

WAIT = 0.3  # seconds per query: the lab answers in about a millisecond; a lost one never does


def main(count: int) -> dict[str, int]:
    answered = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(WAIT)
        for _ in range(count):
            q = dns.message.make_query("www.bank.test", "A")
            s.sendto(q.to_wire(), (w.DNS_ADDR, 53))
            try:
                while True:
                    data, _ = s.recvfrom(4096)
                    if q.is_response(dns.message.from_wire(data)):
                        answered += 1
                        break
            except TimeoutError:
                pass
    return {"sent": count, "answered": answered}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]))))
