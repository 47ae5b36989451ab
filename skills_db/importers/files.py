"""Members of a Slack export, zipped or unpacked, read one at a time as JSON, within limits.

Every error is a HistoryFileError naming ``archive.zip:member`` (or ``directory/member``). An
export is refused as a whole, before anything is parsed, if a member's name climbs out of it
(absolute, ``..``), if it holds a symbolic link or a special file, or if the uncompressed sizes
it declares exceed :class:`~skills_db.importers.limits.ImportLimits`. Sizes are checked again
while reading, as a zip may lie about them: a member is read in chunks and refused as soon as
it goes past the limit, so a zip bomb never unpacks.
"""

from __future__ import annotations

import json
import lzma
import os
import stat
import struct
import zipfile
import zlib
from pathlib import Path
from typing import IO

from skills_db.importers.limits import (
    DEFAULT_LIMITS,
    ImportLimits,
    LimitExceeded,
    check_member_name,
    is_symlink_mode,
    parse_json,
    too_big,
)
from skills_db.importers.model import HistoryFileError

CHUNK = 1024 * 1024
# What zipfile and its decompressors raise on a corrupt, encrypted (RuntimeError) or oddly
# compressed (NotImplementedError) member.
READ_ERRORS = (
    OSError,
    EOFError,
    ValueError,
    RuntimeError,
    NotImplementedError,
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    struct.error,
)


class ExportFiles:
    """The members of an export, zipped or unpacked, addressed by posix relative names."""

    def __init__(self, label: str, members: list[str], limits: ImportLimits) -> None:
        self.label = label
        self.members = members
        self.present = frozenset(members)
        self.limits = limits
        self._read_total = 0  # bytes actually read from every member so far

    def display(self, member: str) -> str:
        raise NotImplementedError

    def open_member(self, member: str) -> IO[bytes]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def read_bytes(self, member: str) -> bytes:
        """The member's bytes, refused as soon as it outgrows the per-file or export limit."""
        limits = self.limits
        parts: list[bytes] = []
        size = 0
        with self.open_member(member) as stream:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limits.max_file_bytes:
                    raise too_big(size, limits.max_file_bytes, "member (uncompressed)")
                if self._read_total + size > limits.max_export_bytes:
                    raise too_big(self._read_total + size, limits.max_export_bytes, "export (uncompressed)")
                parts.append(chunk)
        self._read_total += size
        return b"".join(parts)

    def load_json(self, member: str) -> object:
        where = self.display(member)
        try:
            data = self.read_bytes(member)
        except LimitExceeded as exc:
            raise HistoryFileError(where, "", str(exc)) from None
        except READ_ERRORS as exc:  # a corrupt, encrypted or oddly compressed member
            raise HistoryFileError(where, "", f"cannot read: {exc}") from None
        try:
            return parse_json(data, self.limits.max_json_depth)
        except LimitExceeded as exc:
            raise HistoryFileError(where, "", str(exc)) from None
        except json.JSONDecodeError as exc:
            reason = f"invalid JSON: {exc.msg} (line {exc.lineno} column {exc.colno})"
            raise HistoryFileError(where, "", reason) from None
        except UnicodeDecodeError as exc:
            raise HistoryFileError(where, "", f"not UTF-8 text: {exc.reason}") from None


class ZipExportFiles(ExportFiles):
    def __init__(self, path: Path, limits: ImportLimits) -> None:
        label = str(path)
        try:
            self._zip = zipfile.ZipFile(path)
        except READ_ERRORS as exc:
            raise HistoryFileError(label, "", f"not a readable zip file: {exc}") from None
        try:
            names = self._check(label, limits)
        except BaseException:
            self._zip.close()
            raise
        super().__init__(label, names, limits)

    def _check(self, label: str, limits: ImportLimits) -> list[str]:
        infos = self._zip.infolist()
        if len(infos) > limits.max_members:
            raise HistoryFileError(
                label, "", f"too many files ({len(infos)}; the limit is {limits.max_members})"
            )
        declared = 0
        names: list[str] = []
        for info in infos:
            where = f"{label}:{info.filename}"
            try:
                check_member_name(info.filename)
            except LimitExceeded as exc:
                raise HistoryFileError(where, "", f"{exc}; the archive is refused") from None
            if is_symlink_mode(info.external_attr):
                raise HistoryFileError(where, "", "symbolic link; the archive is refused")
            if info.is_dir():
                continue
            if info.file_size > limits.max_file_bytes:
                reason = str(too_big(info.file_size, limits.max_file_bytes, "member (uncompressed)"))
                raise HistoryFileError(where, "", reason)
            declared += info.file_size
            names.append(info.filename)
        if declared > limits.max_export_bytes:
            raise HistoryFileError(
                label, "", str(too_big(declared, limits.max_export_bytes, "export (uncompressed)"))
            )
        return names

    def display(self, member: str) -> str:
        return f"{self.label}:{member}"

    def open_member(self, member: str) -> IO[bytes]:
        return self._zip.open(member)

    def close(self) -> None:
        self._zip.close()


class DirExportFiles(ExportFiles):
    def __init__(self, path: Path, limits: ImportLimits) -> None:
        self._root = path
        label = str(path)
        names: list[str] = []
        declared = 0
        # os.walk does not follow symbolic links to folders; links to files are refused below.
        for folder, dirs, filenames in os.walk(path):
            for name in (*dirs, *filenames):
                member = Path(folder, name)
                relative = member.relative_to(path).as_posix()
                try:
                    mode = member.lstat().st_mode
                except OSError as exc:
                    raise HistoryFileError(
                        self._show(label, relative), "", f"cannot read: {exc.strerror}"
                    ) from None
                if stat.S_ISLNK(mode):
                    raise HistoryFileError(
                        self._show(label, relative), "", "symbolic link; the folder is refused"
                    )
                if name in dirs:
                    continue
                if not stat.S_ISREG(mode):  # a FIFO would block the import, a device never end
                    raise HistoryFileError(
                        self._show(label, relative), "", "not a regular file; the folder is refused"
                    )
                size = member.stat().st_size
                if size > limits.max_file_bytes:
                    reason = str(too_big(size, limits.max_file_bytes))
                    raise HistoryFileError(self._show(label, relative), "", reason)
                declared += size
                names.append(relative)
                if len(names) > limits.max_members:
                    raise HistoryFileError(label, "", f"too many files (the limit is {limits.max_members})")
        if declared > limits.max_export_bytes:
            raise HistoryFileError(label, "", str(too_big(declared, limits.max_export_bytes, "export")))
        super().__init__(label, names, limits)

    @staticmethod
    def _show(label: str, member: str) -> str:
        return f"{label.rstrip('/')}/{member}"

    def display(self, member: str) -> str:
        return self._show(self.label, member)

    def open_member(self, member: str) -> IO[bytes]:
        return (self._root / member).open("rb")


def open_export(path: Path, limits: ImportLimits = DEFAULT_LIMITS) -> ExportFiles:
    if path.is_dir():
        return DirExportFiles(path, limits)
    if not path.exists():
        raise HistoryFileError(str(path), "", "no such file or directory")
    check_regular_file(path)
    return ZipExportFiles(path, limits)


def check_regular_file(path: Path, limit: int | None = None) -> None:
    """A file that exists, is a regular file (a FIFO would block the import for ever) and, with
    ``limit``, is at most that large: checked before any of it is read."""
    try:
        status = path.stat()
    except OSError as exc:
        raise HistoryFileError(str(path), "", f"cannot read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(status.st_mode):
        raise HistoryFileError(str(path), "", "not a regular file")
    if limit is not None and status.st_size > limit:
        raise HistoryFileError(str(path), "", str(too_big(status.st_size, limit)))
