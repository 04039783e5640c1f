"""Pure analysis: from recorded measurements to verdicts. No I/O here (root sets are passed in)."""
