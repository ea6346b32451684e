"""`python -m accord.cli`."""

from . import main

main()
