import sys

from leafletgen.cli.main import main

sys.exit(main())
