import sys

from xingji.cli import main

sys.exit(main())
