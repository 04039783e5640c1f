"""Start-up of the ``pathprobe`` process, apart from the commands (so commands need not import ``main``)."""

from __future__ import annotations

import gc


def end_startup() -> None:
    """Turn garbage collection back on after start-up (``python -m pathprobe`` turns it off to import).

    What start-up built lives as long as the process: frozen, later collections need not scan it.
    """
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
