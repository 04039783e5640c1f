"""The only code that touches sockets: streams, TLS capture, DNS, failure classification."""
