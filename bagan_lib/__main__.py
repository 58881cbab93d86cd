"""``python -m bagan_lib``: see :mod:`bagan_lib.cli`."""

import sys

from bagan_lib.cli import main

sys.exit(main())
