"""``python -m autonlp_al`` is the ``autonlp-al`` command."""

import sys

from .cli import main

sys.exit(main())
