import sys

from sislab.cli import main

sys.exit(main())
