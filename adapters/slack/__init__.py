"""Slack, through slack-bolt: Socket Mode or HTTP, slash command, buttons, App Home.

See docs/slack.md to create the app from slack-manifest.yml and run the bot.
"""

from __future__ import annotations

from adapters.slack.adapter import SlackAdapter

__all__ = ["SlackAdapter"]
