"""pathprobe: which way of reaching the web keeps my HTTPS intact on this network?"""

__version__ = "0.1.0"
__all__ = ["__version__"]
