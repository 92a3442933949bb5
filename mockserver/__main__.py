"""``python -m mockserver``: the standalone server (see :mod:`mockserver.cli`)."""

import sys

from .cli import main

sys.exit(main())
