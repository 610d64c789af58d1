"""Which challenges a mock round gets: weighted, reproducible for a seed.

Without ``--seed`` the pick favours what the user is weak in
(:func:`selection_weights`); with one, every challenge is equally likely, so
everyone who uses the same seed and filters gets the same round
(:func:`choose_challenges`).
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from trainer.errors import InputError
from trainer.mock.models import MAX_COUNT

if TYPE_CHECKING:
    from trainer.catalog import Challenge

#: Without --seed, the pick favours what you are weak in: a challenge's weight
#: is STATUS_WEIGHT[status] * (2 - mastery of its weakest topic), mastery 0..1.
STATUS_WEIGHT = {"new": 3.0, "started": 3.0, "attempted": 3.0, "passed": 1.5, "mastered": 1.0}


def selection_weights(challenges: Sequence["Challenge"], history: Any) -> dict[str, float]:
    """How strongly an unseeded pick favours each challenge (see STATUS_WEIGHT).

    New and failing challenges weigh more than passed and mastered ones, and a
    challenge whose weakest topic has low mastery weighs up to twice as much.
    """
    from trainer.progress import challenge_progress, topic_mastery

    progress = [challenge_progress(c, history) for c in challenges]
    mastery = {t.topic: t.score for t in topic_mastery(progress)}
    weights = {}
    for p in progress:
        weakest = min((mastery.get(t, 0.0) for t in p.topics), default=0.0)
        weights[p.challenge_id] = STATUS_WEIGHT.get(p.status, 1.0) * (2.0 - weakest)
    return weights


def choose_challenges(
    challenges: Iterable["Challenge"],
    *,
    count: int,
    seed: int,
    topic: str | None = None,
    difficulty: str | None = None,
    weights: dict[str, float] | None = None,
) -> list["Challenge"]:
    """Pick ``count`` distinct challenges, reproducibly for a given ``seed``.

    Weighted sampling without replacement (Efraimidis and Spirakis: each
    challenge draws u ~ U(0, 1) and gets the key u ** (1 / weight); the largest
    keys win). The pool is sorted by id first, so the pick depends only on the
    seed, the filters, the weights and the set of challenges, never on the
    catalog's order. ``weights=None`` weighs them all equally. The round is
    returned easiest first.
    """
    from trainer.catalog import DIFFICULTIES

    challenges = list(challenges)
    pool = sorted(challenges, key=lambda c: c.id)
    if not 1 <= count <= MAX_COUNT:
        raise InputError(f"a mock round has 1 to {MAX_COUNT} challenges, not {count}")
    if difficulty is not None:
        if difficulty not in DIFFICULTIES:
            raise InputError(f"difficulty must be one of {', '.join(DIFFICULTIES)}, not {difficulty!r}")
        pool = [c for c in pool if c.difficulty == difficulty]
    if topic is not None:
        known = sorted({t for c in challenges for t in c.topics})
        wanted = topic.strip().lower()
        if wanted not in known:
            import difflib

            close = difflib.get_close_matches(wanted, known, n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]!r}?" if close else f" (topics: {', '.join(known)})"
            raise InputError(f"no challenge has the topic {topic!r}{hint}")
        pool = [c for c in pool if wanted in c.topics]
    if len(pool) < count:
        filters = [f"difficulty {difficulty}" if difficulty else "", f"topic {topic!r}" if topic else ""]
        what = " and ".join(f for f in filters if f) or "the catalog"
        if not pool:
            raise InputError(f"no challenge matches {what}")
        plural = "s" if len(pool) != 1 else ""
        raise InputError(f"only {len(pool)} challenge{plural} match {what}; "
                         f"ask for --count {len(pool)} or fewer")
    rng = random.Random(seed)
    keyed = []
    for c in pool:
        w = 1.0 if weights is None else max(float(weights.get(c.id, 1.0)), 1e-6)
        # 1 - random() is in (0, 1]: a zero would tie every key at 0.
        keyed.append(((1.0 - rng.random()) ** (1.0 / w), c))
    chosen = [c for _, c in sorted(keyed, key=lambda kc: kc[0], reverse=True)[:count]]
    order = {d: i for i, d in enumerate(DIFFICULTIES)}
    return sorted(chosen, key=lambda c: order.get(c.difficulty, len(order)))
