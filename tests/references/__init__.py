"""Each bundled reference (and the data its grader relies on) against an independent oracle."""
