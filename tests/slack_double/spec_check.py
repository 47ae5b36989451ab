"""Check the bot's Web API calls against Slack's OpenAPI spec, and payloads against its schemas.

The spec (slackapi/slack-api-specs, 2021) lives in ../shared/data/slack-specs beside the
repository. It predates a few things Slack accepts today: those Slack's reference pages list are
in web-api/supplement.json beside it (methods, and parameters added to existing methods), the few
others are listed here, each with why, so an unknown parameter the bot invents is still caught.
The supplement also lists methods Slack retired since (files.upload): a call of one is a problem.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from bench.shared import SLACK_SPECS

SPECS = SLACK_SPECS
WEB_API = SPECS / "web-api" / "slack_web_openapi_v2_without_examples.json"
SUPPLEMENT = SPECS / "web-api" / "supplement.json"
EVENT_WRAPPER = SPECS / "events-api" / "slack_common_event_wrapper_schema.json"
EVENTS_API = SPECS / "events-api" / "slack_events_api_async_v1.json"


@dataclass(frozen=True)
class MethodSpec:
    name: str
    parameters: frozenset[str]
    required: frozenset[str]
    token_required: bool
    scopes: tuple[str, ...]  # any one of them allows the call ("none": no scope needed)


# Parameters every method takes since the spec was written (org-wide apps name the workspace).
NEWER_EVERYWHERE = frozenset({"team_id"})
# Methods newer than the spec: Socket Mode's URL is issued with the app-level token, no parameter.
NEWER_METHODS = {
    "apps.connections.open": MethodSpec(
        "apps.connections.open", frozenset(), frozenset(), True, ("connections:write",)
    ),
}


class WebApiSpec:
    def __init__(self, methods: Mapping[str, MethodSpec], retired: Mapping[str, str] | None = None) -> None:
        self.methods = dict(methods)
        self.retired = dict(retired or {})  # method → since when and what replaced it

    @classmethod
    def load(cls, path: Path = WEB_API, supplement: Path | None = SUPPLEMENT) -> WebApiSpec:
        spec = json.loads(path.read_text("utf-8"))
        methods: dict[str, MethodSpec] = {}
        retired: dict[str, str] = {}
        for route, operations in spec["paths"].items():
            for operation in operations.values():
                parameters = operation.get("parameters", [])
                names = {p["name"] for p in parameters if p["name"] != "token"}
                required = {p["name"] for p in parameters if p.get("required") and p["name"] != "token"}
                token = any(p["name"] == "token" and p.get("required") for p in parameters)
                scopes = tuple(
                    s for entry in operation.get("security", []) for s in entry.get("slackAuth", [])
                )
                name = route.lstrip("/")
                methods[name] = MethodSpec(name, frozenset(names), frozenset(required), token, scopes)
        if supplement is not None:
            added = json.loads(supplement.read_text("utf-8"))
            _supplement(methods, added)
            retired.update(added.get("retired", {}))
        methods.update(NEWER_METHODS)
        return cls(methods, retired)

    def problems(self, method: str, parameters: Iterable[str], *, has_token: bool) -> list[str]:
        if method in self.retired:  # still in the 2021 spec, but Slack refuses it now
            return [f"{method}: retired: {self.retired[method]}"]
        spec = self.methods.get(method)
        if spec is None:
            return [f"{method}: no such Web API method"]
        given = set(parameters)
        found = [f"{method}: missing required parameter {p!r}" for p in sorted(spec.required - given)]
        unknown = given - spec.parameters - NEWER_EVERYWHERE
        found += [f"{method}: unknown parameter {p!r}" for p in sorted(unknown)]
        if spec.token_required and not has_token:
            found.append(f"{method}: called without a token")
        return found

    def problems_in(self, calls: Iterable[Any]) -> list[str]:
        """Problems of recorded calls (objects with ``method``, ``params`` and ``token``)."""
        found: list[str] = []
        for call in calls:
            for problem in self.problems(call.method, call.params, has_token=bool(call.token)):
                if problem not in found:
                    found.append(problem)
        return found


def _names(parameters: list[dict[str, Any]]) -> tuple[frozenset[str], frozenset[str]]:
    """(all parameter names, the required ones)."""
    names = frozenset(p["name"] for p in parameters)
    return names, frozenset(p["name"] for p in parameters if p.get("required"))


def _supplement(methods: dict[str, MethodSpec], supplement: Mapping[str, Any]) -> None:
    """Add what Slack added since the spec: new methods, and new parameters of known methods."""
    for name, body in supplement.get("methods", {}).items():
        names, required = _names(body.get("parameters", []))
        # The supplement gives no scopes: every method it lists takes a token.
        methods[name] = MethodSpec(name, names, required, True, ())
    for name, parameters in supplement.get("added_parameters", {}).items():
        known = methods.get(name)
        if known is None:
            raise ValueError(f"supplement adds parameters to {name}, which the spec does not have")
        names, required = _names(parameters)
        methods[name] = replace(
            known, parameters=known.parameters | names, required=known.required | required
        )


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(path: Path) -> Path:
    """``path``, or skip the test (fail under CI=true, where the specs must be present)."""
    if not path.exists():
        message = f"Slack spec missing: {path.resolve()} (../shared/data/slack-specs beside the repository)"
        if _in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return path


@cache
def _web_api(path: Path, supplement: Path) -> WebApiSpec:
    return WebApiSpec.load(path, supplement)


def web_api_spec() -> WebApiSpec:
    return _web_api(require(WEB_API), require(SUPPLEMENT))


@cache
def _wrapper_schema(path: Path) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return schema


def envelope_problems(envelope: Mapping[str, Any]) -> list[str]:
    """Where an Events API envelope departs from Slack's wrapper schema."""
    import jsonschema  # type: ignore[import-untyped]

    schema = _wrapper_schema(require(EVENT_WRAPPER))
    validator = jsonschema.Draft7Validator(schema)
    return [f"{'/'.join(map(str, e.path)) or '-'}: {e.message}" for e in validator.iter_errors(envelope)]


def event_scopes() -> dict[str, list[str]]:
    """Event type (``message.channels``, ``reaction_added``…) → the scopes it requires."""
    spec = json.loads(require(EVENTS_API).read_text("utf-8"))
    scopes: dict[str, list[str]] = {}
    for topic, body in spec["topics"].items():
        name = topic if topic.startswith("message.") else topic.replace(".", "_")
        scopes[name] = list(body.get("subscribe", {}).get("x-scopes-required", []))
    return scopes
