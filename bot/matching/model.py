"""How the evidence on one candidate becomes one score: a small linear model, in the open.

Each candidate for a need is described by the features below — the need's words against the
threads they answered and against their own answers, their evidence on the need's skills, their
help at several time scales, whether they helped this asker or people close to them, the channel
they answer in. The score is the weighted sum. The weights are fitted by ``python -m bench.quality
--fit``: a pairwise logistic ranker (people who answered a need against those who did not) over
the dev exports, each community's figures coming from weights fitted without it
(leave-one-community-out); the weights below are fitted on all of them. No weight is specific
to a community: every feature is one any workspace has.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from operator import mul

FEATURES = (
    "threads",  # log(1 + BM25 of the threads they answered), decayed with age
    "threads_rel",  # the same, relative to the best candidate's (collections differ in scale)
    "answers",  # log(1 + BM25 of their own answers' words)
    "answers_rel",
    "coverage",  # the largest share of the need's information one of their threads or answers holds
    "skills",  # log(1 + help given on the need's recognised skills), decayed
    "declared",  # 1 if they declared one of the need's skills
    "offer",  # 1 if they offer one of the need's skills now
    "days",  # log(1 + answers), 2-day half-life: who is answering right now
    "week",  # 7-day half-life
    "fortnight",  # 14-day half-life
    "month",  # 30-day half-life
    "season",  # 180-day half-life
    "month_rel",  # the 30-day figure relative to the most active candidate's
    "fortnight_rel",
    "total",  # log(1 + answers ever)
    "solved",  # log(1 + answers that solved the question), 180-day half-life
    "idle",  # log(1 + days since their latest answer)
    "asker",  # log(1 + times they helped this asker)
    "near",  # log(1 + times they helped the people who helped, or were helped by, this asker)
    "channel",  # share of their answers given in the need's channel
    "threads_lately",  # threads_rel * month_rel: on the topic and active lately
    "answers_lately",  # answers_rel * month_rel
    "vouched",  # log(1 + endorsements and help given on the need's skills, through Entraide)
    "paced_10",  # share of the community's last 10 answers that were theirs
    "paced_30",
    "paced_100",
    "paced_idle",  # log(1 + answers the community gave since their latest)
    # How familiar the need's words are to this community (bot.matching.familiarity), the same
    # for every candidate: it decides whether anyone is asked (Model.familiar), never who.
    "familiar",
)


@dataclass(frozen=True)
class Model:
    weights: tuple[float, ...]
    # A need is one this community knows when a past thread or answer holds at least this share
    # of its information, or someone has evidence on one of its skills.
    relevance: float = 0.3
    # Among the candidates for a need this community knows, those whose score is at least this
    # share of the best one's (exp(score - best)) may be asked.
    floor: float = 0.2
    # Evidence on one of the need's skills makes it known only with at least this share of it in
    # the person's threads or answers (a skill recognised in a loose text is weak evidence).
    inferred: float = 0.2
    # A need is known only if its words are at least this familiar to the community: more than
    # this share of its recent questions (see bot.matching.familiarity).
    familiar: float = 0.0

    def __post_init__(self) -> None:
        if len(self.weights) != len(FEATURES):
            raise ValueError(f"{len(self.weights)} weights for {len(FEATURES)} features")

    def score(self, features: Sequence[float]) -> float:
        if len(features) != len(self.weights):
            raise ValueError(f"{len(features)} features for {len(self.weights)} weights")
        total: float = sum(map(mul, self.weights, features))  # the same sum, term by term, as a loop
        return total

    def described(self) -> dict[str, float]:
        return dict(zip(FEATURES, self.weights, strict=True))


# Fitted by `python -m bench.quality --fit` on every dev export (see the module docstring),
# except declared (counts least, by design), offer and vouched (no export has them): set by hand.
DEFAULT = Model(
    (
        0.0485,  # threads
        0.1978,  # threads_rel
        0.0451,  # answers
        0.2653,  # answers_rel
        0.6766,  # coverage
        0.0101,  # skills
        0.1,  # declared (by hand: self-declared skills count least)
        0.5,  # offer (by hand)
        0.0746,  # days
        0.0649,  # week
        0.031,  # fortnight
        0.0079,  # month
        0.081,  # season
        0.1994,  # month_rel
        0.2266,  # fortnight_rel
        0.0953,  # total
        0.0,  # solved
        -0.1247,  # idle
        0.0303,  # asker
        0.052,  # near
        0.0,  # channel
        0.026,  # threads_lately
        0.0856,  # answers_lately
        0.5,  # vouched (by hand: peers' endorsements and help recorded live count most)
        1.1163,  # paced_10
        2.0386,  # paced_30
        2.31,  # paced_100
        -0.0632,  # paced_idle
        0.0,  # familiar (the same for every candidate: no weight in a ranking)
    ),
    relevance=0.15,
    inferred=0.1,
    familiar=0.1,
    floor=0.05,
)


TEXT = ("threads", "threads_rel", "answers", "answers_rel", "coverage", "threads_lately", "answers_lately")
SKILL = ("skills", "declared", "vouched")
ACTIVITY = (
    "days",
    "week",
    "fortnight",
    "month",
    "season",
    "month_rel",
    "fortnight_rel",
    "total",
    "solved",
    "idle",
)


def configured(model: Model, text: float, skill: float, activity: float, offer: float) -> Model:
    """``model`` with the weights of each group of features multiplied as ``[matching]`` says
    (1.0 keeps the fitted model), and the offer's weight set."""
    factors = {
        **dict.fromkeys(TEXT, text),
        **dict.fromkeys(SKILL, skill),
        **dict.fromkeys(ACTIVITY, activity),
    }
    weights = [
        (offer if name == "offer" else weight * factors.get(name, 1.0))
        for name, weight in zip(FEATURES, model.weights, strict=True)
    ]
    return replace(model, weights=tuple(weights))
