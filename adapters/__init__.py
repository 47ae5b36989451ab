"""Chat platforms. Each adapter turns its platform's payloads into `bot.events.Event`."""

from __future__ import annotations

from bot.adapter import Adapter
from bot.context import Services


def enabled_adapters(services: Services) -> list[Adapter]:
    """The adapters the config enables; the console when none is (or when asked for)."""
    config = services.config
    adapters: list[Adapter] = []
    if config.slack.enabled:
        from adapters.slack import SlackAdapter

        adapters.append(SlackAdapter(config.slack, services))
    if config.matrix.enabled:
        from adapters.matrix import MatrixAdapter

        adapters.append(MatrixAdapter(config.matrix, services))
    if config.console.enabled or not adapters:
        from adapters.console import ConsoleAdapter

        adapters.append(ConsoleAdapter(user=config.console.user, conversation=config.console.conversation))
    return adapters
