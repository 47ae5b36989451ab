"""Chat platforms. Each adapter turns its platform's payloads into `bot.events.Event`."""

from __future__ import annotations

import importlib
from typing import cast

from bot.chat.adapter import Adapter
from bot.chat.context import Services
from bot.chat.host import Host

# Imported only when enabled: a Matrix-only deployment never loads slack_bolt, and the reverse.
PLATFORMS = {"slack": "adapters.slack:SlackAdapter", "matrix": "adapters.matrix:MatrixAdapter"}


def enabled_adapters(services: Services) -> list[Adapter]:
    """The adapters the config enables; the console when none is (or when asked for)."""
    config = services.config
    adapters: list[Adapter] = []
    for platform, section in (("slack", config.slack), ("matrix", config.matrix)):
        if section.enabled:
            module, _, name = PLATFORMS[platform].partition(":")
            adapter_class = getattr(importlib.import_module(module), name)
            adapters.append(cast(Adapter, adapter_class(section, Host.of(services))))
    if config.console.enabled or not adapters:
        from adapters.console import ConsoleAdapter, store_names

        console = config.console
        names = store_names(services.store)
        adapters.append(ConsoleAdapter(user=console.user, conversation=console.conversation, names=names))
    return adapters
