"""Anonymised summaries of a profile, for an NGO's collector: :mod:`~pathprobe.summary.anonymise` makes one,
:mod:`~pathprobe.summary.schema` defines and checks the format, :mod:`~pathprobe.summary.submit` sends
summaries and :mod:`~pathprobe.summary.queue` keeps those not sent yet.
"""
