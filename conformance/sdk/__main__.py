"""``python -m conformance.sdk``: see :mod:`conformance.sdk.cli`."""

import sys

from conformance.sdk.cli import main

sys.exit(main())
