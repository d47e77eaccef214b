"""``python -m conformance.server``: the same as ``dcr-conformance serve``."""

import sys

from .cli import main

sys.exit(main())
