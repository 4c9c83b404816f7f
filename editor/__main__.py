"""`python -m editor`: the same entry as the `cutline` command."""

from editor.cli import main

raise SystemExit(main())
