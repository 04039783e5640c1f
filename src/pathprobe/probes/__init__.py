"""Probe kinds: one module per kind, all of the shape in :mod:`pathprobe.probes.base`."""
