"""mltrainer: a local trainer for machine-learning coding interviews."""

__version__ = "0.1.0"
