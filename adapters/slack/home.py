"""App Home (views.publish) and the profile modal (views.open).

The profile shown is the one the `profile` command answers, rendered by the same code
(:func:`bot.chat.home.home_view`, computed off the event loop), so the two never disagree.
What the modal changes is applied as the commands a person could type (`skills add …`,
`skills remove …`, `language …`), through the pipeline, with the same checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from adapters.slack.render import SECTION_LIMIT, actions_block, mrkdwn, split_text
from adapters.slack.translate import PLATFORM, parse_text
from bot.chat.events import Button, ButtonPress, Event, EventKind, UserRef
from bot.chat.home import HomeView, ProfileForm
from bot.chat.host import Host
from bot.chat.text import shorten

HOME_EDIT_ACTION = "entraide_home_edit"
PROFILE_CALLBACK = "entraide_profile"
SKILLS_BLOCK, SKILLS_ACTION = "skills", "skills_input"
LANGUAGE_BLOCK, LANGUAGE_ACTION = "language", "language_select"
SKILLS_LIMIT = 1000
HOME_BLOCK_LIMIT = 100
OTHER = "other"  # button verb the adapter maps to "decline"
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}  # each language in its own words


def _sections(text: str) -> list[dict[str, Any]]:
    return [
        SectionBlock(text=MarkdownTextObject(text=chunk)).to_dict()
        for chunk in split_text(text, SECTION_LIMIT)
        if chunk.strip()
    ]


def ask_buttons(host: Host, language: str, ask_id: int) -> tuple[Button, ...]:
    """Accept / Not now / Suggest someone else, as on the request the colleague was sent."""
    catalog = host.catalog
    return (
        Button(catalog.text(language, "ask.button_accept"), ButtonPress("accept", ask_id), "primary"),
        Button(catalog.text(language, "ask.button_decline"), ButtonPress("decline", ask_id)),
        other_button(host, language, ask_id),
    )


def other_button(host: Host, language: str, ask_id: int) -> Button:
    """The "Suggest someone else" button: it declines, so the core asks the next colleague in line."""
    return Button(host.catalog.text(language, "slack.button_other"), ButtonPress(OTHER, ask_id))


def home_blocks(host: Host, home: HomeView | None) -> dict[str, Any]:
    """The App Home view of what :func:`bot.chat.home.home_view` found."""
    if home is None:
        return View(type="home", blocks=[]).to_dict()
    language, catalog = home.language, host.catalog
    blocks: list[dict[str, Any]] = list(_sections(mrkdwn(home.profile)))
    edit = ButtonElement(
        text=PlainTextObject(text=catalog.text(language, "slack.home_edit")),
        action_id=HOME_EDIT_ACTION,
        value="edit",
    )
    blocks.append(ActionsBlock(block_id="entraide_home", elements=[edit]).to_dict())

    blocks.append(DividerBlock().to_dict())
    blocks.append(_header(catalog.text(language, "slack.home_needs")))
    lines = [mrkdwn(line) for line in home.needs]
    blocks.extend(_sections("\n".join(lines) or mrkdwn((catalog.text(language, "slack.home_no_needs"),))))

    blocks.append(DividerBlock().to_dict())
    blocks.append(_header(catalog.text(language, "slack.home_asks")))
    if not home.requests:
        blocks.extend(_sections(mrkdwn((catalog.text(language, "slack.home_no_asks"),))))
    for request in home.requests:  # each takes two blocks; a home view holds at most 100
        blocks.extend(_sections(mrkdwn(request.body)))
        buttons = ask_buttons(host, language, request.ask_id)
        blocks.append(actions_block(buttons, f"ask_{request.ask_id}").to_dict())
    return View(type="home", blocks=blocks[:HOME_BLOCK_LIMIT]).to_dict()


def _header(text: str) -> dict[str, Any]:
    return HeaderBlock(text=PlainTextObject(text=shorten(text, 150))).to_dict()


def profile_modal(host: Host, form: ProfileForm) -> dict[str, Any]:
    language = form.language
    catalog = host.catalog
    options = [Option(value=code, label=name) for code, name in LANGUAGE_NAMES.items()]
    current = next((o for o in options if o.value == language), options[0])
    skills = PlainTextInputElement(
        action_id=SKILLS_ACTION,
        initial_value=", ".join(form.declared_skills)[:SKILLS_LIMIT] or None,
        multiline=True,
        max_length=SKILLS_LIMIT,
    )
    blocks = [
        InputBlock(
            block_id=SKILLS_BLOCK,
            label=PlainTextObject(text=catalog.text(language, "slack.modal_skills")),
            element=skills,
            optional=True,
        ),
        InputBlock(
            block_id=LANGUAGE_BLOCK,
            label=PlainTextObject(text=catalog.text(language, "slack.modal_language")),
            element=StaticSelectElement(action_id=LANGUAGE_ACTION, options=options, initial_option=current),
        ),
    ]
    view = View(
        type="modal",
        callback_id=PROFILE_CALLBACK,
        title=PlainTextObject(text=catalog.text(language, "slack.modal_title")[:24]),
        submit=PlainTextObject(text=catalog.text(language, "slack.modal_save")[:24]),
        blocks=blocks,
    )
    return view.to_dict()


def submitted_values(view: Mapping[str, Any]) -> tuple[str, str | None]:
    """The skills text and the language code a submitted profile modal holds."""
    values = ((view.get("state") or {}).get("values")) or {}
    skills = ((values.get(SKILLS_BLOCK) or {}).get(SKILLS_ACTION) or {}).get("value") or ""
    selected = ((values.get(LANGUAGE_BLOCK) or {}).get(LANGUAGE_ACTION) or {}).get("selected_option")
    return skills, (selected or {}).get("value")


def modal_errors(host: Host, view: Mapping[str, Any]) -> dict[str, str]:
    """Slack shows these next to the fields, before the modal closes (in the language chosen
    in the modal itself: Slack wants the answer at once, with no database read)."""
    skills, language = submitted_values(view)
    if len(skills) <= SKILLS_LIMIT:
        return {}
    language = language if language in LANGUAGE_NAMES else host.config.bot.language
    return {SKILLS_BLOCK: host.catalog.text(language, "slack.modal_too_long", limit=SKILLS_LIMIT)}


def profile_commands(form: ProfileForm, view: Mapping[str, Any]) -> list[str]:
    """The command lines that turn the current profile into the submitted one."""
    skills_text, language = submitted_values(view)
    wanted = [s.strip() for s in skills_text.replace(";", ",").replace("\n", ",").split(",") if s.strip()]
    declared = list(form.declared_skills)
    have = {s.casefold() for s in declared}
    want = {s.casefold() for s in wanted}
    lines = []
    added = [s for s in dict.fromkeys(wanted) if s.casefold() not in have]
    removed = [s for s in declared if s.casefold() not in want]
    if added:
        lines.append("skills add " + ", ".join(added))
    if removed:
        lines.append("skills remove " + ", ".join(removed))
    if language in LANGUAGE_NAMES and language != form.language:
        lines.append(f"language {language}")
    return lines


def profile_events(
    body: Mapping[str, Any], form: ProfileForm, channel: str, names: Mapping[str, str]
) -> list[Event]:
    """The submitted profile modal as the commands it stands for, sent in the DM ``channel``."""
    view = body.get("view") or {}
    user = str((body.get("user") or {}).get("id") or "")
    events = []
    for index, line in enumerate(profile_commands(form, view)):
        text, mentions = parse_text(line, names)
        events.append(
            Event(
                platform=PLATFORM,
                event_id=f"profile:{view.get('id')}:{body.get('trigger_id') or view.get('hash')}:{index}",
                conversation=channel,
                sender=UserRef(PLATFORM, user, names.get(user, "")),
                text=text,
                kind=EventKind.COMMAND,
                is_direct=True,
                mentions=mentions,
            )
        )
    return events
