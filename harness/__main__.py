"""``python -m harness``: the same program as the ``harness`` console script (``harness.cli.main``)."""

from harness.cli import main

raise SystemExit(main())
