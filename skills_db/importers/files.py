"""Members of a Slack export, zipped or unpacked, read one at a time as JSON.

Every error is a HistoryFileError naming ``archive.zip:member`` (or ``directory/member``).
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from pathlib import Path

from skills_db.importers.model import HistoryFileError


class ExportFiles:
    """The members of an export, zipped or unpacked, addressed by posix relative names."""

    def __init__(self, label: str, members: list[str]) -> None:
        self.label = label
        self.members = members
        self.present = frozenset(members)

    def display(self, member: str) -> str:
        raise NotImplementedError

    def read_bytes(self, member: str) -> bytes:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def load_json(self, member: str) -> object:
        where = self.display(member)
        try:
            data = self.read_bytes(member)
        except (OSError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise HistoryFileError(where, "", f"cannot read: {exc}") from exc
        try:
            return json.loads(data)
        except json.JSONDecodeError as exc:
            reason = f"invalid JSON: {exc.msg} (line {exc.lineno} column {exc.colno})"
            raise HistoryFileError(where, "", reason) from exc
        except UnicodeDecodeError as exc:
            raise HistoryFileError(where, "", f"not UTF-8 text: {exc.reason}") from exc


class ZipExportFiles(ExportFiles):
    def __init__(self, path: Path) -> None:
        label = str(path)
        try:
            self._zip = zipfile.ZipFile(path)
        except (OSError, zipfile.BadZipFile) as exc:
            raise HistoryFileError(label, "", f"not a readable zip file: {exc}") from exc
        names = [i.filename for i in self._zip.infolist() if not i.is_dir()]
        super().__init__(label, names)

    def display(self, member: str) -> str:
        return f"{self.label}:{member}"

    def read_bytes(self, member: str) -> bytes:
        return self._zip.read(member)

    def close(self) -> None:
        self._zip.close()


class DirExportFiles(ExportFiles):
    def __init__(self, path: Path) -> None:
        self._root = path
        names: list[str] = []
        for folder, _dirs, filenames in os.walk(path):
            names.extend(Path(folder, name).relative_to(path).as_posix() for name in filenames)
        super().__init__(str(path), names)

    def display(self, member: str) -> str:
        return f"{self.label.rstrip('/')}/{member}"

    def read_bytes(self, member: str) -> bytes:
        return (self._root / member).read_bytes()


def open_export(path: Path) -> ExportFiles:
    if path.is_dir():
        return DirExportFiles(path)
    if not path.exists():
        raise HistoryFileError(str(path), "", "no such file or directory")
    return ZipExportFiles(path)
