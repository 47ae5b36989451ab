"""Who a week's shout-out features: those who helped much and are seen little, in turn.

Leaderboards show the same loud few every week (recognition bots' users ask for weekly boards,
opt-outs and limits for that reason). Here, for one channel and one week:

* **help given** counts the *distinct* colleagues helped, more for each one new here, and a
  little for more help to the same people — so ten thanks from one friend weigh less than
  help to three colleagues;
* it is divided by **how visible** the person already is: shout-outs received lately (most),
  thanks received in public, how much they post in public help threads — so the quiet come first;
* **rotation**: nobody featured the week before is featured again while others who helped
  wait; they fill the post only when there is room left;
* people who **opted out** are never featured (they are still thanked privately).

Every step is pure, so the same input gives the same post on every instance; ties are broken by
a hash of the person and the week, not by who was created first.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from skills_db.storage.models import PickOutcome
from skills_db.storage.shoutouts import HelpGiven, Seen

NEWCOMER_WEIGHT = 0.5  # helping someone new here counts half a colleague more
REPEAT_WEIGHT = 0.25  # more help to people already counted: a little, with diminishing returns
SHOUTOUT_WEIGHT = 1.0  # each shout-out received lately
THANKS_WEIGHT = 0.5  # public thanks received lately (log scale)
POSTS_WEIGHT = 0.5  # public posts lately (log scale)
SKILLS_NAMED = 2  # skills a post names for one person at most


@dataclass(frozen=True)
class Helper:
    person: int
    helped: int  # distinct colleagues helped in the period
    newcomers: int  # of whom new here
    helps: int  # pieces of help in all
    skills: tuple[str, ...]  # skills of the help given in public, most frequent first
    visibility: float
    score: float


@dataclass(frozen=True)
class Pick:
    helper: Helper
    rank: int  # 1 is first
    outcome: PickOutcome


def visibility(seen: Seen) -> float:
    return (
        SHOUTOUT_WEIGHT * seen.shoutouts
        + THANKS_WEIGHT * math.log2(1 + seen.public_thanks)
        + POSTS_WEIGHT * math.log2(1 + seen.public_posts)
    )


def helpers(
    help_given: Sequence[HelpGiven],
    seen: Mapping[int, Seen],
    first_seen: Mapping[int, datetime],
    newcomer_days: int,
) -> list[Helper]:
    """Each person who helped, with what the post may say of them and their score."""
    helped: dict[int, set[int]] = defaultdict(set)
    newcomers: dict[int, set[int]] = defaultdict(set)
    pieces: Counter[int] = Counter()
    skills: dict[int, Counter[str]] = defaultdict(Counter)
    window = timedelta(days=newcomer_days)
    for item in help_given:
        helped[item.helper].add(item.helped)
        pieces[item.helper] += 1
        arrived = first_seen.get(item.helped)
        # Help with an anonymous need never says "new here": that would describe its asker.
        if arrived is not None and item.at - arrived <= window and not item.anonymous:
            newcomers[item.helper].add(item.helped)
        if item.public:  # only what was said in public may be named in public
            skills[item.helper].update(item.skills)
    found = []
    for person, people in helped.items():
        extra = pieces[person] - len(people)
        given = len(people) + NEWCOMER_WEIGHT * len(newcomers[person]) + REPEAT_WEIGHT * math.log2(1 + extra)
        seen_already = visibility(seen.get(person, Seen()))
        named = sorted(skills[person].items(), key=lambda kv: (-kv[1], kv[0]))
        found.append(
            Helper(
                person=person,
                helped=len(people),
                newcomers=len(newcomers[person]),
                helps=pieces[person],
                skills=tuple(name for name, _ in named[:SKILLS_NAMED]),
                visibility=seen_already,
                score=given / (1 + seen_already),
            )
        )
    return found


def _tie(person: int, week: str) -> str:
    return hashlib.sha256(f"{week}:{person}".encode()).hexdigest()


def choose(
    candidates: Sequence[Helper],
    *,
    room: int,
    week: str,
    opted_out: Collection[int] = (),
    featured_before: Collection[int] = (),
) -> list[Pick]:
    """Everyone who helped, ranked, each with the reason they are in the post or not."""
    ranked = sorted(candidates, key=lambda h: (-h.score, h.visibility, _tie(h.person, week)))
    willing = [h for h in ranked if h.person not in opted_out]
    fresh = [h for h in willing if h.person not in featured_before]
    again = [h for h in willing if h.person in featured_before]
    # Those featured the week before fill the post only when nobody else who helped is left.
    featured = {h.person for h in (fresh + again)[:room]}
    picks = []
    for rank, helper in enumerate(ranked, start=1):
        if helper.person in opted_out:
            outcome = PickOutcome.OPTED_OUT
        elif helper.person in featured:
            outcome = PickOutcome.FEATURED
        elif helper.person in featured_before:
            outcome = PickOutcome.ROTATED
        else:
            outcome = PickOutcome.NO_ROOM
        picks.append(Pick(helper, rank, outcome))
    return picks
