"""The need modal: `/entraide need` with nothing after it, or the "Ask for help" shortcut.

It has a text field and an "Ask anonymously" checkbox. Its submission becomes the command line
a person could type, ``need TEXT`` or ``need --anonymous TEXT``, sent as a direct message to
the bot, so the one `need` command of the registry answers it, privately, with its own checks.
Only an empty text is refused in the modal itself, as the profile modal refuses a long list:
Slack wants the answer at once, with no database read, so the modal carries its language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import (
    CheckboxesElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
)
from slack_sdk.models.views import View

from adapters.slack.translate import PLATFORM
from bot.chat.events import Event, EventKind, UserRef
from bot.chat.host import Host
from bot.commands import registry
from bot.commands.anonymous import split_flag
from bot.commands.clean import says_more_than_help

NEED_CALLBACK = "entraide_need"  # the modal's callback id, and the global shortcut's
TEXT_BLOCK, TEXT_ACTION = "need", "need_input"
ANONYMOUS_BLOCK, ANONYMOUS_ACTION, ANONYMOUS = "anonymous", "anonymous_box", "anonymous"
TEXT_LIMIT = 3000  # the most a plain_text_input takes
NEED = "need"


def bare_need(text: str) -> tuple[bool, bool]:
    """Whether a slash command's text is the need command with nothing asked yet (``need``,
    ``besoin``, ``need --anonymous``), and whether the anonymous flag was given with it."""
    anonymous, rest = split_flag(text.strip())
    words = " ".join(rest.split())
    command = registry().get(words) if words else None
    return command is not None and command.name == NEED, anonymous


def need_modal(host: Host, language: str, *, anonymous: bool = False) -> dict[str, Any]:
    """The modal, in ``language``; the box ticked already when the person typed the flag."""
    text = host.catalog.text
    box = Option(value=ANONYMOUS, label=text(language, "need_modal.anonymous")[:75])
    blocks = [
        InputBlock(
            block_id=TEXT_BLOCK,
            label=PlainTextObject(text=text(language, "need_modal.label")),
            element=PlainTextInputElement(action_id=TEXT_ACTION, multiline=True, max_length=TEXT_LIMIT),
        ),
        InputBlock(
            block_id=ANONYMOUS_BLOCK,
            label=PlainTextObject(text=text(language, "need_modal.privacy")),
            element=CheckboxesElement(
                action_id=ANONYMOUS_ACTION, options=[box], initial_options=[box] if anonymous else None
            ),
            optional=True,
        ),
    ]
    view = View(
        type="modal",
        callback_id=NEED_CALLBACK,
        title=PlainTextObject(text=text(language, "need_modal.title")[:24]),
        submit=PlainTextObject(text=text(language, "need_modal.submit")[:24]),
        close=PlainTextObject(text=text(language, "need_modal.cancel")[:24]),
        private_metadata=language,  # read back by need_errors, which may not read the database
        blocks=blocks,
    )
    return view.to_dict()


def submitted(view: Mapping[str, Any]) -> tuple[str, bool]:
    """The text typed and whether the box is ticked, in a submitted need modal."""
    values = ((view.get("state") or {}).get("values")) or {}
    typed = ((values.get(TEXT_BLOCK) or {}).get(TEXT_ACTION) or {}).get("value") or ""
    options = ((values.get(ANONYMOUS_BLOCK) or {}).get(ANONYMOUS_ACTION) or {}).get("selected_options") or []
    return str(typed), any(option.get("value") == ANONYMOUS for option in options)


def need_errors(host: Host, view: Mapping[str, Any]) -> dict[str, str]:
    """An error next to the text field when it names nothing ("help please", blanks, the flag)."""
    typed, _ = submitted(view)
    _, rest = split_flag(typed)
    if says_more_than_help(rest):
        return {}
    language = str(view.get("private_metadata") or "")
    language = language if language in host.catalog.languages else host.config.bot.language
    return {TEXT_BLOCK: host.catalog.text(language, "need_modal.empty")}


def need_command(view: Mapping[str, Any]) -> str:
    """The command line the submission stands for, as a person would type it in a DM."""
    typed, anonymous = submitted(view)
    flagged, rest = split_flag(typed)  # "--anonymous" typed in the field counts as the box
    return f"{NEED} --anonymous {rest.strip()}" if anonymous or flagged else f"{NEED} {rest.strip()}"


def need_event(body: Mapping[str, Any], channel: str, names: Mapping[str, str]) -> Event:
    """The submission as the direct message ``need …`` to the bot, in the DM ``channel``."""
    view = body.get("view") or {}
    user = str((body.get("user") or {}).get("id") or "")
    return Event(
        platform=PLATFORM,
        event_id=f"need-modal:{view.get('id') or body.get('trigger_id')}",  # one need per modal
        conversation=channel,
        sender=UserRef(PLATFORM, user, names.get(user, "")),
        text=need_command(view),  # typed in a plain text field: no Slack markup to read
        kind=EventKind.COMMAND,
        is_direct=True,
    )
