"""The package version: the one place it is written (read by hatch and by the code)."""

__version__ = "0.1.0"
