#!/usr/bin/env python3
"""Build the leaflets: `python generate.py build` (same as the `leafletgen` command)."""

import sys

from leafletgen.cli import main

if __name__ == "__main__":
    sys.exit(main())
