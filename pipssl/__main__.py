"""``python -m pipssl``: the same CLI as the ``pipssl`` command."""

from __future__ import annotations

import sys

from pipssl.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
