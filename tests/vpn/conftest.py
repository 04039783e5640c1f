"""The live tests' namespace of real servers (built in vpnnet.py)."""

from vpnnet import vpn_net

__all__ = ["vpn_net"]
