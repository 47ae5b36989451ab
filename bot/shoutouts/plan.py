"""Where and when each channel's shout-out is posted, from ``[shoutouts]`` and its per-channel changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import WEEKDAYS, Config, parse_clock_time
from bot.jobs.schedules import Occurrence, Weekly

PERIOD = timedelta(days=7)  # a post covers the seven days before it: weekly, never all-time
WEEK_MINUTES = 7 * 24 * 60


@dataclass(frozen=True)
class ChannelPlan:
    channel: str  # "slack:C0123ABC", as configured
    platform: str
    conversation: str
    schedule: Weekly  # when the post is due
    ask_schedule: Weekly | None  # with ask_first: when people are asked whether they may be named
    language: str
    room: int  # people named in one post at most
    timezone: str

    def week_of(self, at: datetime) -> str:
        """The ISO week ``at`` falls in, in the channel's time zone: the key of its one post."""
        year, week, _ = at.astimezone(self.schedule.tz).isocalendar()
        return f"{year}-W{week:02d}"

    def post_after(self, at: datetime) -> Occurrence:
        """The first post due after ``at`` (the one an ask prepares)."""
        return self.schedule.next_after(at)


def plans(config: Config) -> list[ChannelPlan]:
    shoutouts = config.shoutouts
    found = []
    for channel in shoutouts.channels:
        change = shoutouts.channel.get(channel)
        day = (change.day if change and change.day else None) or shoutouts.day
        at = parse_clock_time((change.time if change and change.time else "") or shoutouts.time)
        zone = (change.timezone if change and change.timezone else "") or shoutouts.timezone
        language = (change.language if change and change.language else "") or shoutouts.language
        room = change.max_people if change and change.max_people else shoutouts.max_people
        tz = ZoneInfo(zone)
        weekday = WEEKDAYS.index(day)
        ask = _earlier(weekday, at, shoutouts.answer_hours, tz) if shoutouts.ask_first else None
        platform, _, conversation = channel.partition(":")
        found.append(
            ChannelPlan(
                channel,
                platform,
                conversation,
                Weekly(weekday, at, tz),
                ask,
                language or config.bot.language,
                room,
                zone,
            )
        )
    return found


def find_plan(config: Config, name: str) -> ChannelPlan | None:
    """The configured channel ``name`` designates: in full ("slack:C0123") or its conversation."""
    wanted = name.strip().lstrip("#")
    for plan in plans(config):
        if wanted in (plan.channel, plan.conversation):
            return plan
    return None


def _earlier(weekday: int, at: time, hours: float, tz: ZoneInfo) -> Weekly:
    """The weekly time ``hours`` before (``weekday``, ``at``), on the local wall clock."""
    minutes = (weekday * 24 * 60 + at.hour * 60 + at.minute - round(hours * 60)) % WEEK_MINUTES
    day, rest = divmod(minutes, 24 * 60)
    return Weekly(day, time(rest // 60, rest % 60), tz)
