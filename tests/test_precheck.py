"""The pre-run checks of a solution (trainer.precheck): parse, required names, allowed imports, with file:line."""

import pytest

from trainer.precheck import check_source

GOOD = """
import numpy as np
from collections import Counter

def row_sums(X):
    return np.asarray(X).sum(axis=1)

scale = lambda X, c: c * X
"""


def messages(source, toy):
    return [f"{i.line}: {i.message}" for i in check_source(source, "sol.py", toy)]


def test_a_good_file_has_no_findings(toy):
    assert messages(GOOD, toy) == []


@pytest.mark.parametrize("line", ["import sklearn", "from sklearn.cluster import KMeans", "import scipy.spatial"])
def test_imports_outside_the_allowed_list_are_refused(toy, line):
    (message,) = messages(line + "\n" + GOOD, toy)
    assert message.startswith("1: importing") and "not allowed in this challenge" in message


@pytest.mark.parametrize("module", ["reference", "graders.toy", "trainer.engine"])
def test_trusted_packages_are_never_allowed(toy, module):
    source = GOOD + f"\ndef helper():\n    import {module}\n"
    (message,) = messages(source, toy)
    assert "is never allowed" in message and message.startswith("11:")


def test_dunder_import_and_relative_imports_are_refused(toy):
    source = GOOD + "\nm = __import__('sklearn')\nfrom . import other\n"
    found = messages(source, toy)
    assert any("__import__ is not allowed" in m for m in found)
    assert any("relative imports" in m for m in found)


def test_missing_required_names_are_listed_but_bonus_names_are_not(toy):
    found = messages("import numpy as np\n\ndef scale(X, c):\n    return X\n", toy)
    assert found == ["None: missing required name 'row_sums' (expected: row_sums(X) -> np.ndarray)"]


def test_syntax_error_has_line_and_column(toy):
    (issue,) = check_source("def f(:\n    pass\n", "sol.py", toy)
    assert (issue.line, issue.location()) == (1, "sol.py:1:7") and "syntax error" in issue.message
