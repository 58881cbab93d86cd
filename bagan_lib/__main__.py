"""``python -m bagan_lib``: see :mod:`bagan_lib.cli`."""

import sys

from .cli import main

sys.exit(main())
