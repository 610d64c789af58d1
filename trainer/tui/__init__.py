"""The Textual interface: dashboard, challenge browser, detail, results, compare, help."""
