"""``python -m mining_licenses.cli``: the same as the ``mining-licenses`` command."""

from mining_licenses.cli import main

raise SystemExit(main())
