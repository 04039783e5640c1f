"""The command line: one module per command group; every error leaves through :func:`main.main`."""
