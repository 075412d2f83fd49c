"""``python -m metacluster`` runs the command-line interface."""

from metacluster.cli import main

main()
