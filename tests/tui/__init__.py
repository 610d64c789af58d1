"""Tests of the full-screen app, driven by Textual's Pilot over a fixed content pack."""
