"""`python -m bot.cli`: the same as the `entraide` command."""

from bot.cli import main

raise SystemExit(main())
