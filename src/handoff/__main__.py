"""``python -m handoff`` runs the command-line interface."""

from handoff.cli import main

raise SystemExit(main())
