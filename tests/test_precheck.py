"""The pre-run checks of a solution (trainer.precheck): parse, required names, allowed imports, forbidden uses, with file:line."""

import pytest

from trainer.precheck import IMPLICIT_IMPORTS, check_source, importable

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
    # The refusal says everything that may be imported: the challenge's modules and the standard library's.
    assert importable(toy) in message and "numpy" in message and "itertools" in message


def test_what_may_be_imported_is_the_challenges_modules_then_the_implicit_ones(toy):
    text = importable(toy)
    own, standard = text.split("from the standard library: ")
    assert own == ", ".join(sorted(toy.allowed_imports - IMPLICIT_IMPORTS)) + ", and "
    assert standard.split(", ") == sorted(IMPLICIT_IMPORTS - {"__future__"})


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


# -- what a challenge forbids (`forbidden` in challenge.yaml) --------------------------------

OWN_MATMUL = '''import numpy as np


def matmul(a, b):
    """Built from 2-d products."""
    if np.ndim(a) == 0:
        raise ValueError("matmul")
    return np.einsum("...ij,...jk->...ik", a, b)


if __name__ == "__main__":
    print(matmul(np.ones((2, 2)), np.ones((2, 2))))
'''


@pytest.fixture
def batched():
    from trainer.catalog import load_catalog
    return load_catalog().get("batched_matmul")


def test_a_solution_may_define_and_call_a_function_with_a_forbidden_name(batched):
    assert check_source(OWN_MATMUL, "m.py", batched) == []


@pytest.mark.parametrize("line, what", [
    ("    return np.matmul(a, b)", "'matmul'"),
    ("    return a @ b", "@ operator"),
    ("    return np.tensordot(a, b, 1)", "'tensordot'"),
    ("    return np.linalg.multi_dot([a, b])", "'linalg'"),
    ("    return getattr(np, 'matmul')(a, b)", "'matmul'"),
    ("    return a.__matmul__(b)", "'__matmul__'"),
    ("    return np.einsum('...ij,...jk->...ik', a, b, optimize=True)", "optimize="),
    ("    from numpy import inner\n    return inner(a, b)", "'inner'"),
    ("    return np.vecdot(a[..., :, None, :], np.swapaxes(b, -1, -2)[..., None, :, :])", "'vecdot'"),
    ("    return np.stack([np.matvec(a, b[..., j]) for j in range(b.shape[-1])], -1)", "'matvec'"),
    ("    return np.vecmat(a, b)", "'vecmat'"),
    ("    return np.einsum('...ij,...jk->...ik', a, b, **{'optimize': True})", "optimize="),
    ("    import operator\n    return operator.imatmul(a.copy(), b)", "'imatmul'"),
    ("    c = a.copy()\n    c @= b", "@ operator"),
    ("    return np.load('m.npy', allow_pickle=False)['np.matmul']", "'np.matmul'"),
])
def test_each_forbidden_use_is_refused_with_its_line(batched, line, what):
    source = OWN_MATMUL.replace('    return np.einsum("...ij,...jk->...ik", a, b)', line)
    issues = check_source(source, "m.py", batched)
    assert issues and all("not allowed in this challenge" in i.message for i in issues), issues
    assert any(what in i.message for i in issues), [i.message for i in issues]
    assert all(i.line in (8, 9) for i in issues), [(i.line, i.message) for i in issues]   # the replaced lines


@pytest.mark.parametrize("line, what", [
    ("    return getattr(np, 'mat' + 'mul')(a, b)", "'getattr'"),
    ("    return eval('a ' + chr(64) + ' b')", "'eval'"),
    ("    exec('r = a ' + chr(64) + ' b', globals())", "'exec'"),
    ("    return vars(np)['mat' + 'mul'](a, b)", "'vars'"),
    ("    return np.__dict__['mat' + 'mul'](a, b)", "'__dict__'"),
    ("    return np.ndarray.__getattribute__(a, '__mat' + 'mul__')(b)", "'__getattribute__'"),
    ("    from operator import attrgetter\n    return attrgetter('mat' + 'mul')(np)(a, b)", "'attrgetter'"),
    ("    import operator\n    return operator.methodcaller('__mat' + 'mul__', b)(a)", "'methodcaller'"),
    ("    import typing\n    return typing.get_type_hints(type('T', (), {'__annotations__': {'f': 'np.mat' + 'mul'}}))['f'](a, b)",
     "'get_type_hints'"),
    ("    return np.ma.core.builtins.setattr", "'builtins'"),
    ("    return np.f2py", "'f2py'"),
    ("    return np.ctypeslib.ctypes.pythonapi", "'ctypeslib'"),
    ("    return np._core.umath.__name__", "private attribute '_core'"),
    ("    return a.__class__.__base__.__subclasses__()", "'__subclasses__'"),
    ("    try:\n        np.zeros(-1)\n    except ValueError as e:\n        return e.__traceback__.tb_frame.f_globals",
     "'f_globals'"),
])
def test_lookups_that_can_reach_a_forbidden_name_without_naming_it_are_refused(batched, line, what):
    """`getattr(np, "mat" + "mul")` and its relatives: a name put together at run time is never seen, so the lookup is."""
    source = OWN_MATMUL.replace('    return np.einsum("...ij,...jk->...ik", a, b)', line)
    issues = check_source(source, "m.py", batched)
    assert issues and all("not allowed in this challenge" in i.message for i in issues), issues
    assert any(what in i.message for i in issues), [i.message for i in issues]
    assert all(8 <= i.line <= 11 for i in issues), [(i.line, i.message) for i in issues]   # the replaced lines


@pytest.mark.parametrize("module", ["numpy", "operator"])
def test_a_star_import_is_refused_where_names_are_forbidden(batched, module):
    """`from numpy import *` binds numpy's matmul as `matmul`, the API's own name, which is not flagged."""
    source = OWN_MATMUL.replace("import numpy as np\n", f"import numpy as np\nfrom {module} import *\n\n_product = matmul\n", 1)
    issues = check_source(source, "m.py", batched)
    assert [(i.line, "star import" in i.message) for i in issues] == [(2, True)], [(i.line, i.message) for i in issues]


def test_a_star_import_is_allowed_where_nothing_is_forbidden(toy):
    assert check_source(GOOD.replace("import numpy as np", "from numpy import *\nimport numpy as np"), "s.py", toy) == []


def test_what_a_solution_needs_is_not_taken_for_a_lookup(batched):
    """Its own classes' private attributes, `__name__`, a traceback's line, and sentences that mention the names."""
    source = OWN_MATMUL.replace('    return np.einsum("...ij,...jk->...ik", a, b)', """\
    class Stack:
        def __init__(self, x):
            self._x = x
    try:
        out = np.einsum("...ij,...jk->...ik", Stack(a)._x, b)
    except ValueError as exc:
        print(type(exc).__name__, exc.__traceback__.tb_lineno, "matmul of the stacks failed:", np.__version__)
        raise
    assert out.ndim >= 2, "a batched matmul result has 2 dimensions at least"
    return out""")
    assert check_source(source, "m.py", batched) == []


def test_a_challenge_without_forbidden_uses_allows_them(toy):
    source = GOOD.replace("import numpy as np", "import numpy as np\nfrom numpy import matmul")
    assert not [i for i in check_source(source, "t.py", toy) if "not allowed in this challenge" in i.message]


def test_a_malformed_forbidden_entry_is_an_invalid_challenge(tmp_path):
    import shutil

    from tests.helpers import TOY_PACK
    from trainer.catalog import load_catalog
    from trainer.errors import InvalidChallenge
    pack = tmp_path / "pack"
    shutil.copytree(TOY_PACK, pack)
    yaml_path = pack / "challenges" / "toy" / "challenge.yaml"
    yaml_path.write_text(yaml_path.read_text() + "forbidden: [\"np.matmul\"]\n")
    with pytest.raises(InvalidChallenge, match="each entry is a name, '@' or a keyword"):
        load_catalog([pack])


NAIVE_SIGMOID = '''import numpy as np


def sigmoid(z):
    z = np.asarray(z, dtype=np.float64)
    return 1.0 / (1.0 + np.exp(-z))
'''


@pytest.mark.parametrize("silenced", [
    '    with np.errstate(over="ignore"):\n        return 1.0 / (1.0 + np.exp(-z))',
    '    np.seterr(all="ignore")\n    return 1.0 / (1.0 + np.exp(-z))',
    '    with np.testing.suppress_warnings() as s:\n        return 1.0 / (1.0 + np.exp(-z))',
])
def test_logreg_refuses_a_sigmoid_that_silences_its_overflow(silenced):
    """logreg's rule is no overflow, not no warning: the ways of silencing numpy's warning are refused."""
    from trainer.catalog import load_catalog
    logreg = load_catalog().get("logreg")
    source = NAIVE_SIGMOID.replace("    return 1.0 / (1.0 + np.exp(-z))", silenced)
    issues = [i for i in check_source(source, "s.py", logreg) if "not allowed in this challenge" in i.message]
    assert [i.line for i in issues] == [6], [(i.line, i.message) for i in issues]
