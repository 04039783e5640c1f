"""``python -m pathprobe``."""

import gc

gc.disable()  # start-up allocates much and frees little; cli.startup.end_startup() turns collection on again

from pathprobe.cli.main import main  # noqa: E402

main()
