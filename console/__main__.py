"""Allow ``python -m console``."""

from console.cli import main

main()
