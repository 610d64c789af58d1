"""The Textual interface: dashboard, challenge browser, detail, results, compare, mock rounds, help.

``app.py`` wires the screens (``screens/``) to the user's Session; screens tell
the app what happened with the messages of ``messages.py``; ``widgets/`` are
the parts of a screen; ``theme.py`` and ``styles.tcss`` are how it all looks.
"""
