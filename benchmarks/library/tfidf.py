"""tfidf: the reference beside scikit-learn's TfidfVectorizer on a 20 000-document corpus.

Both tokenise with the same regular expression after lowercasing, build the
same sorted vocabulary and compute the same numbers. scikit-learn returns a
sparse CSR matrix; the challenge returns a dense one, so the library side
ends with `.toarray()` (the same output). The corpus: 20 000 documents of 20
to 80 tokens over 1 000 pseudo-words with Zipf-like frequencies, 10% of the
tokens capitalised and 10% followed by a comma: 1 million tokens, a dense
(20 000, 1 000) float64 result of 160 MB. Tokenising (one `re.findall` per
document, as scikit-learn's analyzer does) is most of both sides' time.
"""

from __future__ import annotations

import numpy as np

from benchmarks.libraries import Case

N_DOCS = 20_000
N_WORDS = 1_000


def _pseudo_words(g, count):
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    out, seen = [], set()
    while len(out) < count:
        w = "".join(g.choice(letters, size=int(g.integers(2, 10))))
        if w not in seen:
            seen.add(w)
            out.append(w)
    return out


def _corpus(seed, n=N_DOCS, pool=None):
    g = np.random.default_rng(seed)
    pool = np.array(pool if pool is not None else _pseudo_words(np.random.default_rng(0), N_WORDS), dtype=object)
    p = 1.0 / (np.arange(len(pool)) + 2.7)
    p /= p.sum()
    lengths = g.integers(20, 81, size=n)
    tokens = pool[g.choice(len(pool), size=int(lengths.sum()), p=p)]
    caps = g.random(len(tokens)) < 0.1
    tokens[caps] = [t.capitalize() for t in tokens[caps]]
    comma = g.random(len(tokens)) < 0.1
    tokens[comma] = [t + "," for t in tokens[comma]]
    return [" ".join(part) for part in np.split(tokens, np.cumsum(lengths)[:-1])]


def _sklearn_fit_transform(**options):
    def run(docs):
        from sklearn.feature_extraction.text import TfidfVectorizer

        return TfidfVectorizer(**options).fit_transform(docs).toarray()
    return run


def _transform_setup():
    """A vectoriser fitted on one corpus, and a new corpus to transform (unseen words included)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    train, new = _corpus(1, n=5_000), _corpus(2)
    vec = TfidfVectorizer(sublinear_tf=True, norm="l1").fit(train)
    vocabulary = list(vec.get_feature_names_out())
    return new, vocabulary, vec.idf_.copy(), vec


CASES = [
    Case("fit_transform 20 000 docs, defaults", lambda: (_corpus(3),),
         lambda ref, docs: ref.fit_transform(docs), _sklearn_fit_transform()),
    Case("fit_transform 20 000 docs, sublinear_tf, l1, plain idf", lambda: (_corpus(3),),
         lambda ref, docs: ref.fit_transform(docs, smooth_idf=False, sublinear_tf=True, norm="l1"),
         _sklearn_fit_transform(smooth_idf=False, sublinear_tf=True, norm="l1")),
    Case("transform 20 000 docs, fitted on 5 000", _transform_setup,
         lambda ref, docs, vocabulary, idf, vec: ref.transform(docs, vocabulary, idf, sublinear_tf=True, norm="l1"),
         lambda docs, vocabulary, idf, vec: vec.transform(docs).toarray()),
]
