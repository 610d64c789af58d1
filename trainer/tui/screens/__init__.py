"""The TUI's screens, one module each, all derived from :mod:`trainer.tui.screens.base`."""
