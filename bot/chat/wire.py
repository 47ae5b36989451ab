"""Replies as JSON, so the outbox can keep them in the database until they are delivered."""

from __future__ import annotations

import base64
from typing import Any

from bot.chat.events import (
    About,
    AboutKind,
    Attachment,
    Button,
    ButtonPress,
    Mention,
    Reply,
    Segment,
    UserRef,
)


def _user(user: UserRef) -> dict[str, str]:
    return {"platform": user.platform, "handle": user.handle, "display": user.display}


def _user_from(data: Any) -> UserRef | None:
    if not isinstance(data, dict):
        return None
    return UserRef(str(data["platform"]), str(data["handle"]), str(data.get("display", "")))


def _segments_to_json(segments: tuple[Segment, ...]) -> list[Any]:
    return [part if isinstance(part, str) else {"mention": _user(part.user)} for part in segments]


def _segments_from_json(data: Any) -> tuple[Segment, ...]:
    segments: list[Segment] = []
    for part in data or []:
        if isinstance(part, str):
            segments.append(part)
        else:
            user = _user_from(part.get("mention"))
            if user is not None:
                segments.append(Mention(user))
    return tuple(segments)


def reply_to_json(reply: Reply) -> dict[str, Any]:
    data: dict[str, Any] = {
        "body": _segments_to_json(reply.body),
        "conversation": reply.conversation,
        "thread": reply.thread,
        "to": _user(reply.to) if reply.to else None,
        "ephemeral": reply.ephemeral,
        "buttons": [
            {"label": b.label, "verb": b.press.verb, "target": b.press.target, "style": b.style}
            for b in reply.buttons
        ],
        "key": reply.key,
        "about": {"kind": str(reply.about.kind), "id": reply.about.id} if reply.about else None,
        "in_reply_to": reply.in_reply_to,
        "language": reply.language,
    }
    if reply.title:
        data["title"] = reply.title
    if reply.note:
        data["note"] = _segments_to_json(reply.note)
    if reply.attachment is not None:
        file = reply.attachment
        data["attachment"] = {
            "filename": file.filename,
            "mime": file.mime,
            "alt": file.alt,
            "data": base64.b64encode(file.data).decode("ascii"),
        }
    return data


def _attachment_from(data: Any) -> Attachment | None:
    if not isinstance(data, dict):
        return None
    raw = base64.b64decode(str(data.get("data") or ""))
    return Attachment(str(data["filename"]), str(data["mime"]), raw, str(data.get("alt") or ""))


def reply_from_json(data: dict[str, Any]) -> Reply:
    about = data.get("about")
    return Reply(
        body=_segments_from_json(data.get("body")),
        conversation=data.get("conversation"),
        thread=data.get("thread"),
        to=_user_from(data.get("to")),
        ephemeral=bool(data.get("ephemeral")),
        buttons=tuple(
            Button(b["label"], ButtonPress(b["verb"], b.get("target")), b.get("style", "default"))
            for b in data.get("buttons") or []
        ),
        key=data.get("key"),
        about=About(AboutKind(about["kind"]), int(about["id"])) if about else None,
        in_reply_to=data.get("in_reply_to"),
        language=data.get("language"),
        title=str(data.get("title") or ""),
        note=_segments_from_json(data.get("note")),
        attachment=_attachment_from(data.get("attachment")),
    )
