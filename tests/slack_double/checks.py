"""What the Slack double checks in the arguments it is given, as Slack does: required arguments,
booleans and timestamps as clients send them, message metadata's shape, Block Kit's limits."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any


class ApiError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def arg(params: dict[str, Any], name: str) -> str:
    value = params.get(name)
    if value is None or value == "":
        raise ApiError("invalid_arguments")
    return str(value)


def json_arg(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def flag(value: Any) -> bool:
    """A boolean argument as clients send it: JSON true, or "1"/"true" in a form or query."""
    return value is True or str(value).lower() in ("1", "true")


def timestamp(value: Any, default: Decimal) -> Decimal:
    if value is None or value == "":
        return default
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ApiError("invalid_arguments") from None


def metadata_arg(params: dict[str, Any]) -> dict[str, Any] | None:
    """The ``metadata`` argument, shaped as Slack requires, or None when not given."""
    value = params.get("metadata")
    if value is None or value == "":
        return None
    try:
        metadata = json_arg(value)
    except json.JSONDecodeError:
        raise ApiError("invalid_metadata_format") from None
    if (
        not isinstance(metadata, dict)
        or not isinstance(metadata.get("event_type"), str)
        or not metadata["event_type"]
        or not isinstance(metadata.get("event_payload"), dict)
    ):
        raise ApiError("invalid_metadata_format")
    return {"event_type": metadata["event_type"], "event_payload": metadata["event_payload"]}


_INPUT_ELEMENTS = {"plain_text_input", "static_select", "checkboxes"}  # those the bot's modals use
_BLOCK_TYPES = {"section", "actions", "context", "divider", "header", "input", "image", "rich_text"}


def check_blocks(blocks: Any, *, limit: int) -> None:
    """Block Kit limits Slack enforces, checked independently of the library that built them."""
    if not isinstance(blocks, list) or len(blocks) > limit:
        raise ApiError("invalid_blocks")
    for block in blocks:
        if not isinstance(block, dict) or block.get("type") not in _BLOCK_TYPES:
            raise ApiError("invalid_blocks")
        text = block.get("text") or {}
        if block["type"] == "section" and not 0 < len(text.get("text", "")) <= 3000:
            raise ApiError("invalid_blocks")
        if block["type"] == "header" and (
            text.get("type") != "plain_text" or not 0 < len(text.get("text", "")) <= 150
        ):
            raise ApiError("invalid_blocks")
        if block["type"] == "context":
            elements = block.get("elements") or []
            if not 0 < len(elements) <= 10 or any(len(e.get("text", "")) > 3000 for e in elements):
                raise ApiError("invalid_blocks")
        if block["type"] == "actions":
            elements = block.get("elements") or []
            ids = [e.get("action_id") for e in elements]
            if not 0 < len(elements) <= 25 or len(set(ids)) != len(ids):
                raise ApiError("invalid_blocks")
            for element in elements:
                if len((element.get("text") or {}).get("text", "")) > 75:
                    raise ApiError("invalid_blocks")
                if len(str(element.get("value", ""))) > 2000:
                    raise ApiError("invalid_blocks")
        if block["type"] == "input":
            _check_input(block)


def _check_input(block: dict[str, Any]) -> None:
    """An input block: a plain-text label, and an element Slack allows there within its limits."""
    label = block.get("label") or {}
    element = block.get("element") or {}
    if label.get("type") != "plain_text" or not 0 < len(label.get("text", "")) <= 2000:
        raise ApiError("invalid_blocks")
    if element.get("type") not in _INPUT_ELEMENTS or not element.get("action_id"):
        raise ApiError("invalid_blocks")
    if element["type"] == "plain_text_input" and not 0 < int(element.get("max_length", 3000)) <= 3000:
        raise ApiError("invalid_blocks")
    if element["type"] == "checkboxes":
        options = element.get("options") or []
        values = [o.get("value") for o in options]
        if not 0 < len(options) <= 10 or len(set(values)) != len(values):
            raise ApiError("invalid_blocks")
        for option in [*options, *(element.get("initial_options") or [])]:
            if not 0 < len((option.get("text") or {}).get("text", "")) <= 75 or option not in options:
                raise ApiError("invalid_blocks")
