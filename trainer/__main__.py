"""`python -m trainer` is the `mltrainer` command."""

from trainer.cli import main

main()
