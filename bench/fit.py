"""Fitting the matcher's linear model (bot.matching.model): a pairwise logistic ranker.

For each question, every person who answered it is paired with the candidates who did not; the
weights maximise the likelihood that the one who answered scores higher (a logistic loss on the
difference of their features), each question weighing the same, with an L2 penalty that keeps
the weights small where the data says little. Three features keep the weight set by hand in
bot.matching.model: offers and evidence vouched for through Entraide (endorsements, help
recorded live), which no export has, and self-declared skills, which count least by design
(the exports have them only as words of a profile's "about me").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bot.matching.model import DEFAULT, FEATURES, Model

FIXED = (
    "declared",
    "offer",
    "vouched",
    "familiar",
)  # not in the exports, or not as chosen: set by hand (see the module docstring); familiar is
# the need's, the same for every candidate: it gates (bench.quality.choose_gate), it cannot rank
# More evidence never lowers a score: every weight is at least 0, except the time since someone
# last answered, at most 0. A weight the data would push past its sign is held at 0 instead.
NON_POSITIVE = ("idle", "paced_idle")
NEGATIVES = 40  # candidates who did not answer, per question: the best-ranked ones and a sample
L2 = 0.1  # on standardised features; chosen leave-one-community-out among 0.001, 0.01, 0.1 and 1
ITERATIONS = 50

Sample = tuple[list[list[float]], list[bool]]  # one question: candidates' features, answered


def pairs(samples: Sequence[Sample], seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Feature differences (answered minus not) and their weights (1 per question in all)."""
    rng = np.random.default_rng(seed)
    rows, weights = [], []
    for features, labels in samples:
        if not features:
            continue
        x = np.asarray(features, dtype=float)
        y = np.asarray(labels, dtype=bool)
        positive, negative = np.flatnonzero(y), np.flatnonzero(~y)
        if not len(positive) or not len(negative):
            continue
        if len(negative) > NEGATIVES:  # the best-ranked half (the hard ones), and a sample of the rest
            head = negative[: NEGATIVES // 2]
            tail = rng.choice(negative[NEGATIVES // 2 :], NEGATIVES - len(head), replace=False)
            negative = np.concatenate([head, tail])
        diff = (x[positive][:, None, :] - x[negative][None, :, :]).reshape(-1, x.shape[1])
        rows.append(diff)
        weights.append(np.full(len(diff), 1.0 / len(diff)))
    if not rows:
        return np.zeros((0, len(FEATURES))), np.zeros(0)
    return np.concatenate(rows), np.concatenate(weights)


def fit(samples: Sequence[Sample], relevance: float = DEFAULT.relevance) -> Model:
    """The weights, by Newton's method on the penalised pairwise logistic loss, each kept to its
    sign (see NON_POSITIVE): those that come out with the wrong one are held at 0, the rest refitted."""
    x, w = pairs(samples)
    if not len(x):
        return DEFAULT
    held: set[int] = set()
    while True:
        weights = _fit(x, w, held)
        wrong = {
            i
            for i, name in enumerate(FEATURES)
            if name not in FIXED
            and i not in held
            and (weights[i] > 0 if name in NON_POSITIVE else weights[i] < 0)
        }
        if not wrong:
            return Model(tuple(round(float(v), 4) for v in weights), relevance=relevance)
        held |= wrong


def _fit(x: np.ndarray, w: np.ndarray, held: set[int]) -> np.ndarray:
    free = [i for i, name in enumerate(FEATURES) if name not in FIXED and i not in held]
    weights = np.asarray(DEFAULT.weights, dtype=float)
    weights[list(held)] = 0.0
    fixed = [i for i in range(len(FEATURES)) if i not in free]
    fixed_part = x[:, fixed] @ weights[fixed]
    a = x[:, free]
    scale = a.std(axis=0)
    scale[scale == 0] = 1.0
    a = a / scale
    beta = np.zeros(len(free))
    total = w.sum()
    for _ in range(ITERATIONS):
        margin = a @ beta + fixed_part
        p = 1 / (1 + np.exp(-margin))
        gradient = a.T @ (w * (p - 1)) / total + L2 * beta
        hessian = (a * (w * p * (1 - p))[:, None]).T @ a / total + L2 * np.eye(len(free))
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-6:
            break
    weights[free] = beta / scale
    return weights
