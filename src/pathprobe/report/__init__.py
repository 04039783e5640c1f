"""Outputs of a profile: :mod:`.terminal` (the check's table and advice on a terminal), :mod:`.diff`
(what changed), :mod:`.markdown` and :mod:`.html` (reports).

All of them are pure functions of the typed profile (:class:`pathprobe.profile.Profile`, as the
analysis makes it and :func:`pathprobe.profile.load_profile` reads it); :mod:`.view` holds what they
share (the sites x paths matrix, the words for verdicts and signals).
"""
