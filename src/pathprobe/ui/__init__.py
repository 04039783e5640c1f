"""``pathprobe ui``: the check as a local web page, for people who do not use a terminal.

- :mod:`pathprobe.ui.cli`: the command (options, the loopback socket, the URL line, the browser);
- :mod:`pathprobe.ui.app`: the Starlette app and its guard (token, Host, Origin, CSP);
- :mod:`pathprobe.ui.jobs`: the one check (or lab check) at a time, run in a worker thread;
- :mod:`pathprobe.ui.page`: the HTML, built around :func:`pathprobe.report.html.report_body`;
- :mod:`pathprobe.ui.history`: this machine's saved profiles and their diffs;
- :mod:`pathprobe.ui.i18n`: every string the page shows goes through :func:`pathprobe.ui.i18n.t`;
- :mod:`pathprobe.ui.trainer`: trainer mode (root on Linux): the lab's scenarios from the page.
"""
