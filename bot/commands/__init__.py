"""The command registry shared by every platform."""

from __future__ import annotations

from functools import cache

from bot.commands import admin, anonymous, needs, people, rights, shoutouts, thanks
from bot.commands.registry import ArgKind, Argument, Command, Registry, choices

WHAT_TO_OPT = choices(
    ("matching", "matchmaking", "mise en relation", "suggestions"),
    ("shoutouts", "shout-outs", "remerciements", "bravos"),
    ("dms", "dm", "messages", "messages prives", "mp"),
)


@cache
def registry() -> Registry:
    r = Registry()
    rest = ArgKind.REST
    r.add(
        Command(
            "help",
            people.cmd_help,
            (Argument("command", ArgKind.WORD, required=False),),
            ("aide", "?"),
            words={"fr": "aide"},
        )
    )
    r.add(
        Command(
            "need",
            needs.cmd_need,
            (Argument("text", rest, label="need"),),
            ("besoin", "besoin d'aide", "ask", "demande"),
            words={"fr": "besoin"},
        )
    )
    r.add(
        Command(
            "offer",
            needs.cmd_offer,
            (Argument("text", rest, label="offer"),),
            ("offre", "propose"),
            words={"fr": "offre"},
        )
    )
    r.add(
        Command(
            "skills",
            people.cmd_skills,
            (
                Argument(
                    "action",
                    ArgKind.CHOICE,
                    choices=choices(
                        ("add", "ajouter", "ajoute"),
                        ("remove", "retirer", "retire", "supprimer"),
                        ("list", "liste", "lister"),
                    ),
                ),
                Argument("skills", rest, required=False),
            ),
            ("skill", "competences", "competence"),
            words={"fr": "compétences"},
        )
    )
    r.add(
        Command(
            "learn", people.cmd_learn, (Argument("skill", rest),), ("apprendre",), words={"fr": "apprendre"}
        )
    )
    r.add(
        Command(
            "profile",
            people.cmd_profile,
            (Argument("someone", ArgKind.PERSON, required=False),),
            ("profil", "whois"),
            words={"fr": "profil"},
        )
    )
    r.add(
        Command(
            "away",
            people.cmd_away,
            (Argument("until", rest),),  # "until monday", "jusqu'à lundi": more than one word
            ("absent", "absence"),
            words={"fr": "absent"},
        )
    )
    r.add(
        Command(
            "thanks",
            thanks.cmd_thanks,
            (
                Argument("someone", ArgKind.PEOPLE, label="people"),
                Argument("reason", rest, required=False),
            ),
            ("thank", "merci"),
            words={"fr": "merci"},
        )
    )
    r.add(
        Command(
            "endorse",
            people.cmd_endorse,
            (Argument("someone", ArgKind.PERSON), Argument("skill", rest)),
            ("recommander", "recommande"),
            words={"fr": "recommander"},
        )
    )
    r.add(
        Command(
            "cap",
            people.cmd_cap,
            (Argument("per_week", ArgKind.WORD),),
            ("limite", "quota"),
            words={"fr": "limite"},
        )
    )
    r.add(
        Command(
            "optout",
            people.cmd_optout,
            (Argument("what", ArgKind.CHOICE, choices=WHAT_TO_OPT),),
            ("opt-out", "desinscrire"),
            words={"fr": "désinscrire"},
        )
    )
    r.add(
        Command(
            "optin",
            people.cmd_optin,
            (Argument("what", ArgKind.CHOICE, choices=WHAT_TO_OPT),),
            ("opt-in", "inscrire"),
            words={"fr": "inscrire"},
        )
    )
    r.add(
        Command(
            "accept",
            needs.cmd_accept,
            (Argument("id", ArgKind.WORD, required=False),),
            ("accepter", "oui", "yes"),
            words={"fr": "accepter"},
        )
    )
    r.add(
        Command(
            "decline",
            needs.cmd_decline,
            (Argument("id", ArgKind.WORD, required=False),),
            ("refuser", "non", "no", "not-now"),
            words={"fr": "refuser"},
        )
    )
    # The asker of an anonymous need answers a helper's offer (bot/commands/anonymous.py).
    r.add(
        Command(
            "accept-helper",
            anonymous.cmd_accept_helper,
            (Argument("id", ArgKind.WORD, required=False),),
            ("accepter-aide", "accept-offer"),
            words={"fr": "accepter-aide"},
        )
    )
    r.add(
        Command(
            "decline-helper",
            anonymous.cmd_decline_helper,
            (Argument("id", ArgKind.WORD, required=False),),
            ("refuser-aide", "decline-offer"),
            words={"fr": "refuser-aide"},
        )
    )
    r.add(
        Command(
            "solved",
            needs.cmd_solved,
            (
                Argument("id", ArgKind.WORD, required=False),
                Argument("helper", ArgKind.PERSON, required=False),
            ),
            ("resolu", "resolved", "done"),
            words={"fr": "résolu"},
        )
    )
    r.add(
        Command(
            "not-solved",
            needs.cmd_not_solved,
            (Argument("id", ArgKind.WORD, required=False),),
            ("pas-resolu", "not-yet", "pas-encore", "unsolved"),
            words={"fr": "pas-resolu"},
        )
    )
    r.add(
        Command(
            "language",
            people.cmd_language,
            (
                Argument(
                    "language",
                    ArgKind.CHOICE,
                    choices=choices(("en", "english", "anglais"), ("fr", "french", "francais")),
                ),
            ),
            ("lang", "langue"),
            words={"fr": "langue"},
        )
    )
    r.add(Command("export-me", rights.cmd_export_me, (), ("export", "exporter"), words={"fr": "exporter"}))
    r.add(
        Command(
            "forget-me",
            rights.cmd_forget_me,
            (
                Argument(
                    "confirm",
                    ArgKind.CHOICE,
                    required=False,
                    choices=choices(("confirm", "confirmer", "yes", "oui")),
                ),
            ),
            ("oublie-moi", "forget"),
            words={"fr": "oublie-moi"},
        )
    )
    r.add(
        Command(
            "why",
            rights.cmd_why,
            (Argument("id", ArgKind.WORD, label="rights.why"),),
            ("pourquoi",),
            words={"fr": "pourquoi"},
        )
    )
    r.add(
        Command(
            "shoutout-yes",
            shoutouts.cmd_shoutout_yes,
            (Argument("id", ArgKind.WORD, required=False, label="question"),),
            ("shoutout-oui", "remerciement-oui"),
            words={"fr": "remerciement-oui"},
        )
    )
    r.add(
        Command(
            "shoutout-no",
            shoutouts.cmd_shoutout_no,
            (Argument("id", ArgKind.WORD, required=False, label="question"),),
            ("shoutout-non", "remerciement-non"),
            words={"fr": "remerciement-non"},
        )
    )
    r.add(Command("stats", admin.cmd_stats, (), ("statistiques",), admin=True, words={"fr": "statistiques"}))
    r.add(
        Command(
            "admin",
            admin.cmd_admin,
            (Argument("what", ArgKind.REST, required=False),),
            ("gestion",),
            admin=True,
        )
    )
    return r
