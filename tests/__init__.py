"""The project's tests: a package, so `tests.helpers` imports the same way from every folder."""
