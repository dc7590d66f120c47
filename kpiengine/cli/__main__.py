"""`python -m kpiengine.cli`."""

from . import main

main()
