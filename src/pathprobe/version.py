"""pathprobe's version: the package's ``__version__``, a profile's ``tool_version``, ``pathprobe --version``.

A module of its own, so that modules inside pathprobe read it without importing the package's
``__init__`` (which names the public API, and so depends on them)."""

__version__ = "0.1.0"
