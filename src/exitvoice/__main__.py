"""`python -m exitvoice` runs the CLI."""

from .cli import main

main()
