"""Files in the Slack double: the upload flow that replaced files.upload, answering like Slack.

``files.getUploadURLExternal`` reserves a file (name, length, alt text) and gives a URL on the
double's own HTTP server; the bytes POSTed there must be exactly ``length`` long;
``files.completeUploadExternal`` shares the uploaded files in a conversation (a thread, with
``thread_ts``) as one message from the uploader carrying them, or keeps them private without a
channel. ``files.upload``, retired, answers ``method_deprecated``.
"""

from __future__ import annotations

import itertools
import mimetypes
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.slack_double.checks import ApiError, arg, json_arg

if TYPE_CHECKING:
    from tests.slack_double.workspace import Message, Workspace

# The bot's ids (as in workspace.py, which imports this module): it is the one uploading.
BOT_USER, BOT_ID = "U0BOT", "B0BOT"


@dataclass
class File:
    id: str
    name: str
    length: int  # announced by files.getUploadURLExternal
    alt_txt: str = ""
    title: str = ""
    data: bytes | None = None  # what was POSTed to the upload URL
    shared_in: str = ""  # the channel it was shared in, once completed
    completed: bool = False

    def as_dict(self, user: str) -> dict[str, Any]:
        mime = mimetypes.guess_type(self.name)[0] or "application/octet-stream"
        return {
            "id": self.id,
            "name": self.name,
            "title": self.title or self.name,
            "mimetype": mime,
            "filetype": self.name.rpartition(".")[2].lower() if "." in self.name else "binary",
            "size": len(self.data or b""),
            "alt_txt": self.alt_txt,
            "user": user,
            "channels": [self.shared_in] if self.shared_in.startswith("C") else [],
        }


class Files:
    """The workspace's files and the methods on them (the workspace dispatches ``files.*`` here)."""

    def __init__(self, space: Workspace) -> None:
        self.space = space
        self.upload_base = ""  # the upload URLs' prefix, set when the double's server starts
        self.by_id: dict[str, File] = {}
        self._ids = itertools.count(1)

    def api_files_getUploadURLExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        name = arg(params, "filename")
        try:
            length = int(arg(params, "length"))
        except ValueError:
            raise ApiError("invalid_arguments") from None
        if length <= 0:
            raise ApiError("invalid_arguments")
        file = File(f"F{next(self._ids):09d}", name, length, str(params.get("alt_txt") or ""))
        self.by_id[file.id] = file
        return {"upload_url": self.upload_base + file.id, "file_id": file.id}

    def receive_upload(self, file_id: str, data: bytes) -> tuple[int, str]:
        """A POST to an upload URL: (HTTP status, body), as the upload server answers."""
        file = self.by_id.get(file_id)
        if file is None or file.data is not None:
            return 404, "not found"
        if len(data) != file.length:
            return 400, f"length mismatch: announced {file.length}, received {len(data)}"
        file.data = data
        return 200, f"OK - {len(data)}"

    def api_files_completeUploadExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        space = self.space
        try:
            entries = json_arg(arg(params, "files"))
        except ValueError:
            raise ApiError("invalid_arguments") from None
        if not isinstance(entries, list) or not entries:
            raise ApiError("invalid_arguments")
        found: list[File] = []
        for entry in entries:
            file = self.by_id.get(str((entry or {}).get("id")))
            if file is None or file.data is None or file.completed:
                raise ApiError("file_not_found")
            found.append(file)
        channels = [c for c in str(params.get("channels") or "").split(",") if c]
        if params.get("channel_id"):
            channels = [str(params["channel_id"])]
        if len(channels) > 1:
            raise ApiError("invalid_arguments")  # the double shares in one conversation at most
        thread = str(params.get("thread_ts") or "") or None
        if thread and not channels:
            raise ApiError("invalid_arguments")
        if channels:
            channel = space.channel(channels[0])
            space.readable(channel)
        for file, entry in zip(found, entries, strict=True):
            file.title = str(entry.get("title") or file.name)
            file.completed = True
            file.shared_in = channels[0] if channels else ""
        if channels:
            comment = str(params.get("initial_comment") or "")
            shared = [f.as_dict(BOT_USER) for f in found]
            space.add_message(channels[0], BOT_USER, comment, thread, bot_id=BOT_ID, files=shared)
        return {"files": [{"id": f.id, "title": f.title} for f in found]}

    def api_files_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        raise ApiError("method_deprecated")  # retired on 2025-11-12

    def messages_in(self, channel: str) -> list[Message]:
        """The messages sharing files in ``channel``, oldest first."""
        return [m for m in self.space.messages.get(channel, []) if m.files]
