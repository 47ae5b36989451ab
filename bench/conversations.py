"""How well conversations rebuilt from channel flow match real threads, and what they recover.

Two tables. First, every dev export whose channels use threads, with its threads stripped
(each message's ``thread_ts`` removed, the zip rewritten): the rules of
``skills_db.importers.conversations`` group the flattened channel, and the (question, replier)
pairs they attach are compared with the real threads' pairs. Precision: attached pairs that
are real; recall: real pairs found. Second, the export without threads (houstondatavis): what
is rebuilt and what is left out, by reason. Both at three reply windows (45 min is the rule).

Run: ``python -m bench.conversations [--window MINUTES ...]``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import zipfile
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

from bench.shared import DEV_DATA
from skills_db.importers.conversations import DEFAULT_RULES, FlowRules, is_flow_thread
from skills_db.importers.model import HistoryArchive
from skills_db.importers.slack_export import read_slack_export

Pair = tuple[str, str, str]  # channel, question ts, replier


@dataclass(frozen=True)
class Score:
    true_pairs: int
    found_pairs: int
    right_pairs: int
    conversations: int

    @property
    def precision(self) -> float:
        return self.right_pairs / self.found_pairs if self.found_pairs else 0.0

    @property
    def recall(self) -> float:
        return self.right_pairs / self.true_pairs if self.true_pairs else 0.0


def pairs(archive: HistoryArchive, *, flow: bool) -> set[Pair]:
    return {
        (thread.channel, thread.root.ts, reply.author)
        for thread in archive.threads
        if is_flow_thread(thread) == flow
        for reply in thread.replies
        if reply.author != thread.root.author
    }


def strip_threads(source: Path, target: Path) -> Path:
    """``source`` with every ``thread_ts`` (and the replies lists) removed from its messages."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename.count("/") == 1 and item.filename.endswith(".json"):
                messages = json.loads(data)
                for message in messages:
                    for key in ("thread_ts", "replies", "reply_count", "reply_users", "parent_user_id"):
                        message.pop(key, None)
                data = json.dumps(messages).encode()
            zout.writestr(item, data)
    return target


def score(export: Path, flat: Path, rules: FlowRules) -> Score:
    truth = pairs(read_slack_export(export), flow=False)
    rebuilt = read_slack_export(flat, flow=rules)
    found = pairs(rebuilt, flow=True)
    return Score(len(truth), len(found), len(truth & found), rebuilt.flow.conversations)


def windows(minutes: list[int]) -> list[FlowRules]:
    return [replace(DEFAULT_RULES, window=timedelta(minutes=m)) for m in minutes]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.conversations")
    parser.add_argument("--window", type=int, nargs="*", default=[30, 45, 60], help="minutes")
    args = parser.parse_args()
    rules = windows(args.window)
    exports = sorted(DEV_DATA.glob("*.zip"))
    threaded = [e for e in exports if any(not is_flow_thread(t) for t in read_slack_export(e).threads)]
    unthreaded = [e for e in exports if e not in threaded]
    print("threads stripped, then rebuilt from channel flow: (question, replier) pairs")
    print(f"{'export':<28}{'window':>7}{'real':>7}{'found':>7}{'right':>7}{'precision':>10}{'recall':>8}")
    with tempfile.TemporaryDirectory(prefix="entraide-flow-") as folder:
        totals: dict[timedelta, list[Score]] = {}
        for export in threaded:
            flat = strip_threads(export, Path(folder) / export.name)
            for rule in rules:
                result = score(export, flat, rule)
                totals.setdefault(rule.window, []).append(result)
                print(_row(export.stem, rule, result))
        for rule in rules:
            scores = totals.get(rule.window, [])
            pooled = Score(*(sum(getattr(s, f) for s in scores) for f in Score.__dataclass_fields__))
            print(_row("pooled", rule, pooled))
    print()
    print("exports without threads: what the import keeps and leaves out")
    head = ("export", "window", "messages", "rebuilt", "in them", "no reply", "events", "bots", "empty")
    print(f"{head[0]:<28}" + "".join(f"{h:>9}" for h in head[1:]))
    for export in unthreaded:
        for rule in rules:
            archive = read_slack_export(export, flow=rule)
            flow, skipped = archive.flow, archive.skipped
            values = (flow.messages, flow.conversations, flow.grouped, flow.unanswered)
            values += (skipped.events, skipped.bots, skipped.empty)
            window = f"{rule.window.seconds // 60} min"
            print(f"{export.stem:<28}{window:>9}" + "".join(f"{v:>9,}" for v in values))


def _row(name: str, rule: FlowRules, s: Score) -> str:
    window = f"{rule.window.seconds // 60}m"
    return (
        f"{name:<28}{window:>7}{s.true_pairs:>7}{s.found_pairs:>7}{s.right_pairs:>7}"
        f"{s.precision:>10.2f}{s.recall:>8.2f}"
    )


if __name__ == "__main__":
    main()
