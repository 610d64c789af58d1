"""The guided stubs guide without giving the solution away.

A TODO comment says what a step must achieve and which rule of the task
applies; the numpy recipe belongs to the challenge's hints, which the user
asks for one at a time. So no TODO names a library call, unless the task's
description names it as a rule (`np.result_type(x, w)` is the output dtype of
conv2d), and every guided stub still has its TODOs.
"""

from __future__ import annotations

import re

import pytest

from trainer.catalog import load_catalog

CHALLENGES = {c.id: c for c in load_catalog()}
# A call of a library function or method: np.bincount(, rng.choice(, heapq.heappush(, self.metric(
LIBRARY_CALL = re.compile(r"\b(?:np|numpy|rng|math|heapq|random|self)(?:\.\w+)+\s*\(")


def todo_comments(source: str) -> list[str]:
    """Every TODO comment of a stub, with its continuation lines, one string each."""
    comments: list[list[str]] = []
    in_todo = False
    for line in source.splitlines():
        text = line.strip()
        if text.startswith("# TODO"):
            comments.append([text])
            in_todo = True
        elif in_todo and text.startswith("#"):
            comments[-1].append(text)
        else:
            in_todo = False
    return ["\n".join(c) for c in comments]


def recipe_calls(challenge) -> list[str]:
    """The library calls TODO comments name that the task's description does not."""
    found = []
    for comment in todo_comments(challenge.render_stub("guided")):
        for match in LIBRARY_CALL.finditer(comment):
            name = match.group(0).rstrip("( ")
            if name not in challenge.description:
                found.append(f"{name!r} in:\n{comment}")
    return found


@pytest.mark.parametrize("challenge_id", sorted(CHALLENGES))
def test_guided_todos_say_what_not_how(challenge_id):
    """TODO comments name no numpy recipe: it is in the hints."""
    challenge = CHALLENGES[challenge_id]
    assert todo_comments(challenge.render_stub("guided")), "the guided stub has no TODO"
    assert recipe_calls(challenge) == []


def test_the_check_catches_a_recipe_in_a_todo():
    """The line the issue quoted would be caught."""
    comments = todo_comments(
        "def update(X, labels, C):\n"
        "    # TODO: counts with np.bincount(labels, minlength=k); sums per feature with\n"
        "    #       np.bincount(labels, weights=X[:, f], minlength=k). Return a NEW array.\n"
        "    raise NotImplementedError\n")
    assert len(comments) == 1 and comments[0].count("np.bincount") == 2
    assert LIBRARY_CALL.findall(comments[0]) == ["np.bincount(", "np.bincount("]
    assert not LIBRARY_CALL.search("# TODO: the mean of each cluster; an empty one keeps C[j].")
