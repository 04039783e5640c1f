"""An accepted summary is never lost: SIGKILL the collector during concurrent submissions, then count."""

from __future__ import annotations

import random
import signal
import threading

import httpx
from collector_helpers import Server

from pathprobe.collector.storage import open_storage
from pathprobe.collector.synthetic import summary as synth

CLIENTS = 8
TOTAL = 600
KILL_AFTER = 150


def test_sigkill_during_load_loses_no_accepted_summary(db_url: str, server_factory: list[Server]) -> None:
    srv = Server(db_url)
    token = srv.token("load")
    server_factory.append(srv.start())
    rng = random.Random(21)
    items = [synth(rng) for _ in range(TOTAL)]
    accepted: set[str] = set()
    lock = threading.Lock()
    killed = threading.Event()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def client(chunk: list[dict[str, object]]) -> None:
        with httpx.Client(timeout=10, headers=headers) as c:
            for s in chunk:
                try:
                    r = c.post(srv.url + "/v1/summaries", json=s)
                except httpx.HTTPError:
                    continue  # in flight when the server died, or after: not accepted
                if r.status_code in (200, 201):
                    with lock:
                        accepted.add(str(s["id"]))
                        if len(accepted) >= KILL_AFTER and not killed.is_set():
                            killed.set()
                            assert srv.proc is not None
                            srv.proc.send_signal(signal.SIGKILL)  # other clients are mid-request

    threads = [threading.Thread(target=client, args=(items[i::CLIENTS],)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert killed.is_set()
    assert srv.proc is not None and srv.proc.wait(timeout=10) == -signal.SIGKILL
    assert len(accepted) < TOTAL  # the kill really cut the load short

    st = open_storage(db_url)
    try:
        stored = st.summary_ids()
        assert accepted <= stored, f"{len(accepted - stored)} accepted summaries lost"
        assert stored <= {s["id"] for s in items}
        counters = st.aggregate(("country", "asn", "week"), 1)
        st.rebuild_counters()
        assert st.aggregate(("country", "asn", "week"), 1) == counters  # counters committed with their rows
    finally:
        st.close()

    # After a restart, sending everything again stores each summary exactly once.
    again = Server(db_url)
    server_factory.append(again.start())
    with httpx.Client(timeout=10, headers=headers) as c:
        codes = [c.post(again.url + "/v1/summaries", json=s).status_code for s in items]
    assert codes.count(200) == len(stored) and codes.count(201) == TOTAL - len(stored)
    st = open_storage(db_url)
    assert st.count_summaries() == TOTAL
    st.close()
