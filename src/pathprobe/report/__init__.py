"""Outputs of a profile: :mod:`.terminal` (the check's table and advice on a terminal), :mod:`.diff`
(what changed), :mod:`.markdown` and :mod:`.html` (reports).

All of them are pure functions of profile dicts (as :func:`pathprobe.profile.load_profile` returns
them); :mod:`.view` holds what they share (the sites x paths matrix, the words for verdicts and signals).
"""
