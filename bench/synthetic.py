"""A synthetic organisation for the scale benchmark (:mod:`bench.scale`), in a fresh SQLite file.

Everything is drawn from one seeded random generator, so the same sizes and seed give the same
database, the same vocabulary and the same needs:

- the vocabulary: the bundled skills (``skills_db/vocabulary/data/skills.jsonl``) plus generated
  "<word> <word>" skills with 1–3 aliases each, up to ``sizes.skills`` entries;
- people with a Slack identity (some away, opted out or deleted, various time zones);
- skill claims with a realistic mix of sources and dates over three years, skill popularity
  following a Zipf law (the bundled skills are the most popular, in file order);
- past needs as help threads (question text made of skill names and filler words) with 1–3
  replies each, mostly from people who claim the skill, about half of them solved;
- a few active offers and learning goals.

Rows are written with SQLAlchemy Core ``insert()`` (executemany) in big batches inside one
transaction. Run alone: ``python -m bench.synthetic OUT.db [--people N] …`` prints the counts and
timings as JSON (:mod:`bench.scale` runs it in a child process so that generation does not count
in the benchmark's own memory peak).
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import resource
import sys
import time
from array import array
from bisect import bisect
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel

from skills_db.importers.model import SOURCE_JSONL, HistoryArchive, HistoryMessage, HistoryThread, HistoryUser
from skills_db.storage.database import make_engine
from skills_db.storage.models import (
    ClaimSource,
    HelpReply,
    HelpThread,
    Identity,
    LearningGoal,
    Offer,
    Person,
    Skill,
    SkillAlias,
    SkillClaim,
)
from skills_db.storage.store import Store
from skills_db.vocabulary.taxonomy import Skill as VocabSkill
from skills_db.vocabulary.taxonomy import Taxonomy
from skills_db.vocabulary.textnorm import fold, tokens

END = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)  # a Monday morning: "now" for the benchmark
SPAN = timedelta(days=3 * 365)
START = END - SPAN
ZIPF_S = 1.0
BATCH = 20_000
PLATFORM = "slack"

SOURCE_MIX = (
    (ClaimSource.DECLARED, 0.35),
    (ClaimSource.ENDORSED, 0.15),
    (ClaimSource.HELPED, 0.25),
    (ClaimSource.IMPORTED, 0.25),
)
TIMEZONES = (None, None, None, "Europe/Paris", "Europe/London", "America/New_York", "Asia/Tokyo")

# Generated skill names are "<first> <second>": disjoint lists, so a name never reads backwards.
FIRST_WORDS = """
adaptive agile async atomic autonomous bayesian binary blue boreal bright cached canary cedar
celestial cipher cirrus civic cobalt coherent cold compact composite copper coral cosmic crimson
crystal cyan delta dense digital distributed dynamic elastic electric ember emerald encrypted
federated fluent flux fractal frozen fusion galactic gamma global golden granite graph green
harbor helix hybrid hyper indigo inertial infinite ionic iron jade kinetic lambda laser latent
layered linear liquid lunar magnetic marble matrix meridian micro modular molten native neural
nimbus noble nova oak obsidian omega onyx open optic orbital parallel photon pixel plasma polar
prime prism pulse quantum quartz radiant rapid reactive recursive red relay resilient robust
ruby sapphire scalar secure semantic serene shadow sigma silent silver simple solar sonic sparse
spectral static stellar stream structured sturdy swift synthetic tensor terra thermal tidal
titan topaz turbo unified vector velvet vertex violet virtual vivid zenith zephyr
""".split()
SECOND_WORDS = """
abacus anchor archive atlas badger beacon bridge broker bucket canvas capsule carousel catalog
cellar citadel compass conduit console courier crane crucible dashboard depot dispatcher dock
dynamo engine falcon ferry fjord forge fountain foundry frame funnel furnace gateway glacier
granary grid guardian hangar harvester hive horizon hub kernel keystone ladder lantern ledger
lens lighthouse loom mantle mariner meadow mesh mill mirror monitor mosaic nexus notebook oracle
orchard outpost paddock panel pantry parser pavilion pilot pinnacle planner portal press quarry
queue radar rampart ranger reactor reef registry relay reservoir ridge rover sail scheduler
scribe sentinel shuttle signal silo sketchbook spindle spire spring stable stack station
steward studio summit switchboard terrace thicket tower tracker trellis turbine vault
viaduct vista warden watchtower weaver wharf workbench yard
""".split()
ALIAS_SUFFIXES = ("framework", "toolkit", "platform", "engine", "suite", "studio", "cloud", "sdk")

FILLER = """
error timeout config deploy build version upgrade cluster server client request response query
table index cache memory disk network proxy certificate token login password account user
permission role policy pipeline job task queue worker schedule cron backup restore migration
schema field column row record report dashboard chart export import file folder path upload
download release branch merge commit review test unit integration staging production logs metric
alert incident latency throughput crash bug issue fix patch install setup environment variable
secret key library package dependency module plugin extension template layout style font image
video audio meeting calendar invoice budget contract vendor customer ticket onboarding training
slide document spreadsheet formula macro pivot filter sort join sync async thread process
container image volume port host domain route endpoint webhook payload format encoding parsing
validation form button page mobile browser laptop printer screen keyboard monitor license renewal
quota limit retry fallback rollback hotfix sprint roadmap backlog estimate deadline handover
""".split()
OPENERS = (
    "how do I",
    "anyone knows how to",
    "what is the best way to",
    "getting an error with",
    "is there a way to",
    "need help with",
    "stuck on",
    "question about",
    "can someone explain",
    "who has experience with",
    "quelqu'un sait comment utiliser",
    "besoin d'aide sur",
)
LINKS = (" and ", " with ", " or ", ", ", " plus ", " then ")
REPLY_OPENERS = ("try", "check", "I had this", "you need", "use", "we fixed it with", "look at", "set")
FIRST_NAMES = """
alice bruno chloe david emma farid gabriel hana ines jules karim lea marc nadia olivier pauline
quentin rania samir tania ugo vera william xavier yasmine zoe amel boris claire dimitri elise
fatou georges helene ivan jade kevin lucie mehdi nina oscar priya rose sofia theo victor
""".split()
LAST_NAMES = """
martin bernard dubois thomas robert richard petit durand leroy moreau simon laurent lefebvre
michel garcia david bertrand roux vincent fournier morel girard andre mercier dupont lambert
bonnet francois martinez nguyen diallo haddad kowalski rossi schmidt tanaka silva okafor
""".split()


@dataclass(frozen=True)
class Sizes:
    people: int = 100_000
    skills: int = 20_000  # vocabulary entries, the bundled ones included
    claims: int = 1_000_000
    threads: int = 200_000  # past needs, as help threads
    import_threads: int = 200_000  # threads of the export whose import is timed (the whole history)
    needs: int = 1_000  # needs matched for the latency figures
    warmup: int = 50  # needs matched before timing starts

    @classmethod
    def scaled(cls, people: int | None = None, **given: int | None) -> Sizes:
        """Sizes for ``people``; the others (unless given) keep the default proportions."""
        base = cls()
        p = base.people if people is None else people
        ratio = p / base.people
        values = {
            "people": p,
            "skills": max(int(base.skills * ratio), 1),
            "claims": int(base.claims * ratio),
            "threads": int(base.threads * ratio),
            "import_threads": int(base.import_threads * ratio),
            "needs": base.needs,
            "warmup": base.warmup,
        }
        values.update({k: v for k, v in given.items() if v is not None})
        return cls(**values)


# -- vocabulary -----------------------------------------------------------------------------------


def _key(name: str) -> str:
    return " ".join(tokens(name))


def vocabulary(total: int, seed: int) -> list[VocabSkill]:
    """The bundled skills, then generated ones up to ``total`` entries (never fewer than bundled)."""
    default = list(Taxonomy.load_default().skills)
    taken = {_key(s.name) for s in default}
    taken.update(_key(a) for s in default for a in (*s.aliases, *s.names_fr))
    rng = random.Random(f"{seed}:vocabulary")
    pairs = list(itertools.product(FIRST_WORDS, SECOND_WORDS))
    rng.shuffle(pairs)
    generated: list[VocabSkill] = []
    wanted = max(total - len(default), 0)
    for first, second in pairs:
        if len(generated) >= wanted:
            break
        name = f"{first} {second}"
        if _key(name) in taken:
            continue
        suffix = rng.choice(ALIAS_SUFFIXES)
        options = [f"{first}{second}", f"{first} {second} {suffix}", f"{first[0]}{second}"]
        aliases = tuple(a for a in rng.sample(options, rng.randint(1, 3)) if _key(a) not in taken)
        taken.add(_key(name))
        taken.update(_key(a) for a in aliases)
        category = "tech" if rng.random() < 0.7 else rng.choice(("data", "business", "domain"))
        generated.append(VocabSkill(name, category, aliases))
    if len(generated) < wanted:
        raise ValueError(f"cannot generate {wanted} skill names (at most {len(pairs)})")
    return [*default, *generated]


def taxonomy_for(skills: Sequence[VocabSkill]) -> Taxonomy:
    default = Taxonomy.load_default()
    extra = skills[len(default.skills) :]
    return default.extended(extra) if extra else default


class Zipf:
    """Draws indices 0..n-1 with probability proportional to 1 / (rank + 1) ** s."""

    def __init__(self, n: int, s: float = ZIPF_S) -> None:
        self.cumulative = list(itertools.accumulate(1.0 / (rank + 1) ** s for rank in range(n)))
        self.total = self.cumulative[-1]

    def draw(self, rng: random.Random) -> int:
        return bisect(self.cumulative, rng.random() * self.total)


class World:
    """Everything derived from (sizes, seed) without the database: vocabulary, popularity, texts."""

    def __init__(self, sizes: Sizes, seed: int) -> None:
        self.sizes = sizes
        self.seed = seed
        self.skills = vocabulary(sizes.skills, seed)
        rng = random.Random(f"{seed}:popularity")
        bundled = len(Taxonomy.load_default().skills)
        # The bundled skills come first, in file order (most common first); generated ones mix in
        # after the first couple of hundred ranks.
        keys = [float(i) for i in range(bundled)]
        keys += [rng.uniform(200, 3 * len(self.skills)) for _ in range(len(self.skills) - bundled)]
        self.by_popularity = sorted(range(len(self.skills)), key=keys.__getitem__)
        self.skill_zipf = Zipf(len(self.skills))
        self.filler_zipf = Zipf(len(FILLER), 0.8)

    def popular_skill(self, rng: random.Random) -> int:
        return self.by_popularity[self.skill_zipf.draw(rng)]

    def surface(self, rng: random.Random, skill: int) -> str:
        entry = self.skills[skill]
        forms = [entry.name, entry.name, *entry.aliases, *entry.names_fr]
        form = rng.choice(forms)
        return form.lower() if rng.random() < 0.4 else form

    def filler(self, rng: random.Random, count: int) -> str:
        return " ".join(FILLER[self.filler_zipf.draw(rng)] for _ in range(count))

    def question(self, rng: random.Random, skills: Sequence[int], mentions: Sequence[str] = ()) -> str:
        mentions = list(mentions) or [self.surface(rng, s) for s in skills]
        body = mentions[0]
        for mention in mentions[1:]:
            body += rng.choice(LINKS) + mention
        return f"{rng.choice(OPENERS)} {body} {self.filler(rng, rng.randint(3, 12))}?"

    def reply(self, rng: random.Random, skills: Sequence[int]) -> str:
        text = f"{rng.choice(REPLY_OPENERS)} {self.filler(rng, rng.randint(2, 10))}"
        if rng.random() < 0.5:
            text += f" {self.surface(rng, rng.choice(skills))} {self.filler(rng, rng.randint(1, 5))}"
        return text

    def needs(self, count: int, salt: str) -> list[tuple[str, int, datetime, str]]:
        """(text, asker id, time, kind) for ``count`` needs; kind: "skills", "typo" or "none"."""
        rng = random.Random(f"{self.seed}:needs:{salt}")
        result = []
        for number in range(count):
            roll = rng.random()
            asker = rng.randint(1, self.sizes.people)
            at = END + timedelta(minutes=7 * number)
            if roll < 0.1:
                text = f"{rng.choice(OPENERS)} {self.filler(rng, rng.randint(4, 12))}?"
                result.append((text, asker, at, "none"))
                continue
            skills = list(dict.fromkeys(self.popular_skill(rng) for _ in range(rng.randint(1, 3))))
            mentions = [self.surface(rng, s) for s in skills]
            kind = "skills"
            if roll < 0.3:  # a typo in one of the skills: two letters swapped in a long word
                spots = [
                    (m, w)
                    for m, mention in enumerate(mentions)
                    for w, word in enumerate(mention.split())
                    if len(word) >= 6 and word.isalpha()
                ]
                if spots:
                    m, w = rng.choice(spots)
                    words = mentions[m].split()
                    word = words[w]
                    j = rng.randrange(1, len(word) - 2)
                    words[w] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
                    mentions[m] = " ".join(words)
                    kind = "typo"
            text = self.question(rng, skills, mentions)
            result.append((text, asker, at, kind))
        return result

    def archive(self, count: int) -> HistoryArchive:
        """A history export of ``count`` threads, as a JSONL import would read it.

        Half of the authors are people already in the database (same Slack handles), half new.
        """
        rng = random.Random(f"{self.seed}:archive")
        users: dict[str, HistoryUser] = {}

        def author() -> str:
            if rng.random() < 0.5:
                handle = _handle(rng.randint(1, self.sizes.people))
            else:
                handle = f"X{rng.randint(1, max(count // 4, 1)):07d}"
            if handle not in users:
                name = _name(rng)
                title = self.skills[self.popular_skill(rng)].name if rng.random() < 0.3 else ""
                users[handle] = HistoryUser(handle, name, name, title, rng.choice(TIMEZONES), False, False)
            return handle

        threads = []
        for number in range(count):
            posted = START + SPAN * rng.random()
            skills = list(dict.fromkeys(self.popular_skill(rng) for _ in range(rng.randint(1, 3))))
            asker = author()
            root = HistoryMessage(f"{number}.0", asker, self.question(rng, skills), (), posted, ())
            replies = tuple(
                HistoryMessage(
                    f"{number}.{r}",
                    author(),
                    self.reply(rng, skills),
                    (),
                    posted + timedelta(minutes=10 * r),
                    (),
                )
                for r in range(1, rng.randint(1, 3) + 1)
            )
            solved = replies[-1].ts if rng.random() < 0.5 else None
            threads.append(HistoryThread(SOURCE_JSONL, "import", f"import:{number}", root, replies, solved))
        threads.sort(key=lambda t: t.root.posted_at)
        return HistoryArchive("synthetic.jsonl", users, tuple(threads), 0)


def _handle(person_id: int) -> str:
    return f"U{person_id:08d}"


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES).title()} {rng.choice(LAST_NAMES).title()}"


def _when(rng: random.Random) -> datetime:
    """A time in the three years before END, more recent times more likely (growing usage)."""
    return END - SPAN * (1.0 - float(rng.random() ** 0.7))


# -- database -------------------------------------------------------------------------------------


def _table(model: type[SQLModel]) -> sa.Table:
    table = SQLModel.metadata.tables[model.__tablename__]  # type: ignore[index]
    return table


def _batches(rows: Iterator[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    while batch := list(itertools.islice(rows, size)):
        yield batch


def _insert(conn: sa.Connection, table: Any, rows: Iterator[dict[str, Any]]) -> int:
    count = 0
    statement = sa.insert(table)
    for batch in _batches(rows):
        conn.execute(statement, batch)
        count += len(batch)
    return count


def generate(url: str, sizes: Sizes, seed: int = 1) -> dict[str, Any]:
    """Create the schema at ``url`` (a fresh SQLite file) and fill it; returns counts and timings."""
    started = time.perf_counter()
    world = World(sizes, seed)
    vocabulary_seconds = time.perf_counter() - started
    Store.open(url).close()  # the schema, through the migrations
    sqlite = url.startswith("sqlite")
    engine = sa.create_engine(url) if sqlite else make_engine(url)
    rng = random.Random(f"{seed}:organisation")
    counts: dict[str, int] = {}
    phases: dict[str, float] = {"vocabulary": vocabulary_seconds}
    with engine.connect() as conn:
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-262144", "temp_store=MEMORY"):
            if sqlite:
                conn.exec_driver_sql(f"PRAGMA {pragma}")
        conn.commit()
        with conn.begin():
            clock = time.perf_counter()
            counts["skills"], counts["aliases"] = _skills(conn, world)
            phases["skills"] = time.perf_counter() - clock

            clock = time.perf_counter()
            counts["people"] = _people(conn, world, rng)
            phases["people"] = time.perf_counter() - clock

            clock = time.perf_counter()
            claimants: dict[int, array[int]] = {}
            counts["claims"] = _insert(conn, _table(SkillClaim), _claims(world, rng, claimants))
            phases["claims"] = time.perf_counter() - clock

            clock = time.perf_counter()
            counts["threads"], counts["replies"] = _threads(conn, world, rng, claimants)
            phases["threads"] = time.perf_counter() - clock

            clock = time.perf_counter()
            counts["offers"], counts["learning_goals"] = _extras(conn, world, rng)
            phases["extras"] = time.perf_counter() - clock
            if not sqlite:  # rows were given their ids: the sequences start after them
                for model in (
                    Skill,
                    SkillAlias,
                    Person,
                    Identity,
                    SkillClaim,
                    HelpThread,
                    HelpReply,
                    Offer,
                    LearningGoal,
                ):
                    name = _table(model).name
                    conn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {name}), false)"
                    )
        clock = time.perf_counter()
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
        phases["analyze"] = time.perf_counter() - clock
    engine.dispose()
    return {
        "counts": counts,
        "phases": phases,
        "seconds": time.perf_counter() - started,
        "peak_rss_mb": peak_rss_mb(),
    }


def _skills(conn: sa.Connection, world: World) -> tuple[int, int]:
    folded_names: set[str] = set()
    folded_aliases: set[str] = set()
    skill_rows, alias_rows = [], []
    for number, skill in enumerate(world.skills, 1):
        folded = fold(skill.name)
        if folded in folded_names:  # the vocabulary merges such names: keep ids aligned anyway
            folded = f"{folded} #{number}"
        folded_names.add(folded)
        skill_rows.append({"id": number, "name": skill.name, "folded": folded, "category": skill.category})
        for alias, language in [*((a, "en") for a in skill.aliases), *((a, "fr") for a in skill.names_fr)]:
            key = fold(alias)
            if key in folded_aliases:
                continue
            folded_aliases.add(key)
            alias_rows.append({"skill_id": number, "alias": alias, "folded": key, "language": language})
    return (
        _insert(conn, _table(Skill), iter(skill_rows)),
        _insert(conn, _table(SkillAlias), iter(alias_rows)),
    )


def _people(conn: sa.Connection, world: World, rng: random.Random) -> int:
    people = world.sizes.people

    def person_rows() -> Iterator[dict[str, Any]]:
        for pid in range(1, people + 1):
            roll = rng.random()
            yield {
                "id": pid,
                "name": _name(rng),
                "language": "fr" if rng.random() < 0.2 else None,
                "timezone": rng.choice(TIMEZONES),
                "title": "",
                "away_until": END + timedelta(days=rng.randint(1, 20)) if roll < 0.02 else None,
                "matching_opt_out": 0.02 <= roll < 0.03,
                "shoutouts_opt_out": False,
                "weekly_ask_cap": None,
                "deleted": 0.03 <= roll < 0.04,
                "created_at": START + SPAN * rng.random() * 0.5,
            }

    def identity_rows() -> Iterator[dict[str, Any]]:
        for pid in range(1, people + 1):
            yield {"person_id": pid, "platform": PLATFORM, "handle": _handle(pid), "display": ""}

    count = _insert(conn, _table(Person), person_rows())
    _insert(conn, _table(Identity), identity_rows())
    return count


def _active_person(rng: random.Random, people: int, permutation: array[int]) -> int:
    """A person id; a few people are much more active than most (top 1 % ≈ 15 % of activity)."""
    return permutation[int(people * rng.random() ** 2.5)]


def _claims(world: World, rng: random.Random, claimants: dict[int, array[int]]) -> Iterator[dict[str, Any]]:
    people = world.sizes.people
    permutation = array("i", range(1, people + 1))
    rng.shuffle(permutation)
    sources = [s for s, _ in SOURCE_MIX]
    cumulative = list(itertools.accumulate(w for _, w in SOURCE_MIX))
    for number in range(world.sizes.claims):
        skill = world.popular_skill(rng)
        person = _active_person(rng, people, permutation)
        source = sources[bisect(cumulative, rng.random() * cumulative[-1])]
        if source != ClaimSource.DECLARED:
            claimants.setdefault(skill, array("i")).append(person)
        weight = 1.0
        if source == ClaimSource.IMPORTED and rng.random() < 0.3:
            weight = 2.0
        elif source == ClaimSource.HELPED and rng.random() < 0.3:
            weight = 0.5
        yield {
            "person_id": person,
            "skill_id": skill + 1,
            "source": source.value,
            "weight": weight,
            "ref": f"synthetic:{number}",
            "created_at": _when(rng),
        }


def _threads(
    conn: sa.Connection, world: World, rng: random.Random, claimants: dict[int, array[int]]
) -> tuple[int, int]:
    people = world.sizes.people
    permutation = array("i", range(1, people + 1))
    rng.shuffle(permutation)
    channels = [f"help-{w}" for w in SECOND_WORDS[:40]]
    replies: list[dict[str, Any]] = []
    reply_count = 0

    def helper(skill: int, asker: int) -> int:
        pool = claimants.get(skill)
        for _ in range(3):
            if pool and rng.random() < 0.7:
                candidate = pool[rng.randrange(len(pool))]
            else:
                candidate = _active_person(rng, people, permutation)
            if candidate != asker:
                return candidate
        return asker % people + 1

    def thread_rows() -> Iterator[dict[str, Any]]:
        nonlocal reply_count
        times = sorted(_when(rng) for _ in range(world.sizes.threads))
        for number, created in enumerate(times, 1):
            skills = list(dict.fromkeys(world.popular_skill(rng) for _ in range(rng.randint(1, 3))))
            asker = rng.randint(1, people)
            helpers = [helper(skills[0], asker) for _ in range(rng.randint(1, 3))]
            solved = rng.randrange(len(helpers)) if rng.random() < 0.5 else None
            for position, person in enumerate(helpers):
                replies.append(
                    {
                        "thread_id": number,
                        "person_id": person,
                        "text": world.reply(rng, skills),
                        "created_at": created + timedelta(minutes=5 + 20 * position),
                        "solved": position == solved,
                    }
                )
            yield {
                "id": number,
                "source": "slack-export",
                "external_id": f"{rng.choice(channels)}:{number}",
                "channel": rng.choice(channels),
                "asker_id": asker,
                "text": world.question(rng, skills),
                "created_at": created,
                "solved_by_id": helpers[solved] if solved is not None else None,
                "skills": [world.skills[skill].name for skill in skills],  # as an import records them
            }

    thread_count = 0
    statement = sa.insert(_table(HelpThread))
    reply_statement = sa.insert(_table(HelpReply))
    for batch in _batches(thread_rows()):
        conn.execute(statement, batch)
        thread_count += len(batch)
        conn.execute(reply_statement, replies)
        reply_count += len(replies)
        replies.clear()
    return thread_count, reply_count


def _extras(conn: sa.Connection, world: World, rng: random.Random) -> tuple[int, int]:
    people = world.sizes.people
    offers = [
        {
            "person_id": rng.randint(1, people),
            "text": "happy to help with " + world.skills[skill].name,
            "skills": [world.skills[skill].name],
            "created_at": END - timedelta(days=2),
            "expires_at": END + timedelta(days=rng.randint(1, 7)),
        }
        for skill in (world.popular_skill(rng) for _ in range(max(people // 300, 1)))
    ]
    goals = {(rng.randint(1, people), world.popular_skill(rng) + 1) for _ in range(max(people // 5, 1))}
    goal_rows = [{"person_id": p, "skill_id": s, "created_at": START + SPAN * 0.9} for p, s in sorted(goals)]
    return (
        _insert(conn, _table(Offer), iter(offers)),
        _insert(conn, _table(LearningGoal), iter(goal_rows)),
    )


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident set size so far, in MiB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(who).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate a synthetic organisation into a fresh database.")
    parser.add_argument(
        "database", help="path of the SQLite file to create (must not exist), or an empty database's URL"
    )
    add_size_options(parser)
    args = parser.parse_args(argv)
    sizes = sizes_from(args)
    url = args.database if "://" in args.database else f"sqlite:///{args.database}"
    result = generate(url, sizes, args.seed)
    print(json.dumps({"sizes": asdict(sizes), **result}))
    return 0


def add_size_options(parser: argparse.ArgumentParser) -> None:
    defaults = Sizes()
    parser.add_argument("--people", type=int, help=f"people (default {defaults.people:,})")
    parser.add_argument("--skills", type=int, help="vocabulary size (default: 20,000, or scaled to --people)")
    parser.add_argument("--claims", type=int, help="skill claims (default: 1,000,000, or scaled)")
    parser.add_argument("--threads", type=int, help="past needs / help threads (default: 200,000, or scaled)")
    parser.add_argument(
        "--import-threads", type=int, help="threads in the timed import (default: 200,000, or scaled)"
    )
    parser.add_argument("--needs", type=int, help=f"needs matched for latency (default {defaults.needs:,})")
    parser.add_argument("--warmup", type=int, help=f"needs matched before timing (default {defaults.warmup})")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")


def sizes_from(args: argparse.Namespace) -> Sizes:
    return Sizes.scaled(
        args.people,
        skills=args.skills,
        claims=args.claims,
        threads=args.threads,
        import_threads=args.import_threads,
        needs=args.needs,
        warmup=args.warmup,
    )


if __name__ == "__main__":
    raise SystemExit(main())
