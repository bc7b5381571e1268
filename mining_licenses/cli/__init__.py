"""The ``mining-licenses`` command: thin argument parsing over the library.

Only this package prints. Every subcommand returns an exit code: 0 on success,
2 when the package reports an error (printed on one line, with what to do).
Inside: ``_parser`` (options and :func:`main`), ``_commands`` (one handler per
subcommand), ``_tables`` (summary tables and their text) and ``_demo`` (the
demo pipeline).
"""

from mining_licenses.cli._parser import build_parser, main

__all__ = ["build_parser", "main"]
