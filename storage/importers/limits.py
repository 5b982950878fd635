"""How much of a file the importer is willing to read, and the checks that refuse the rest early.

A plan is a few hundred rows of text. Anything far bigger is a mistake or an attack (a 100 MB cell,
a million rows, a small zip that expands to gigabytes), and is refused with one sentence before it is
read in full, so memory stays bounded (well under 500 MB) and the refusal comes within seconds.
Every reader checks the same limits while it streams; none of them trusts a size a file declares
about itself without also counting what it actually reads.
"""

from __future__ import annotations

import os
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

from storage.errors import ImportFailed

MB = 1024 * 1024
DEFAULT_MAX_MB = 50.0
MAX_ROWS = 20_000
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
# Together with the row limit these bound memory: 20,000 rows of 10 filled cells, 20 M characters of
# text (a 300-action plan holds about 0.3 M).
MAX_FILLED_CELLS = 200_000
MAX_TEXT_CHARS = 20_000_000

MAX_ZIP_ENTRIES = 5_000
# The XML parts a reader parses may expand to this many times the file limit, and never past
# MAX_UNZIPPED_CAP: real plans compress 3-10 times; zip bombs compress thousands of times.
UNZIP_FACTOR = 8
MAX_UNZIPPED_CAP = 400 * MB


class TooLarge(ImportFailed):
    """The file is beyond one of the import limits; the message says which."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int = int(DEFAULT_MAX_MB * MB)
    max_rows: int = MAX_ROWS
    max_cell_chars: int = MAX_CELL_CHARS
    max_filled_cells: int = MAX_FILLED_CELLS
    max_text_chars: int = MAX_TEXT_CHARS
    max_zip_entries: int = MAX_ZIP_ENTRIES

    @classmethod
    def from_megabytes(cls, megabytes: float) -> Limits:
        return cls(max_bytes=int(megabytes * MB))

    @property
    def max_unzipped(self) -> int:
        return min(self.max_bytes * UNZIP_FACTOR, MAX_UNZIPPED_CAP)


def human_size(size: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size} TB"  # pragma: no cover - the loop always returns


def check_file_size(path: Path, limits: Limits) -> int:
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise TooLarge(
            f"{path.name}: the file is {human_size(size)}; the import limit is "
            f"{human_size(limits.max_bytes)} (PROGRESSBOT_IMPORT_MAX_MB)"
        )
    return size


class Budget:
    """Counts what a reader actually reads (rows, filled cells, characters) and refuses past the limits.

    ``where`` names the place for the message ("sheet 'Plan' row 12").
    """

    def __init__(self, filename: str, limits: Limits) -> None:
        self.filename = filename
        self.limits = limits
        self.rows = 0
        self.cells = 0
        self.chars = 0

    def row(self, where: str) -> None:
        self.rows += 1
        if self.rows > self.limits.max_rows:
            raise TooLarge(
                f"{self.filename}: more than {self.limits.max_rows:,} rows (at {where}); a plan that size "
                f"is not one progressbot can remind people about; split it or remove the empty rows"
            )

    def cell(self, length: int, where: str) -> None:
        """One filled cell of ``length`` characters."""
        # check_cell and add_text, with their calls saved for the common case (tens of thousands of cells).
        limits = self.limits
        if length > limits.max_cell_chars:
            self.check_cell(length, where)
        self.chars += length
        if self.chars > limits.max_text_chars:
            self.add_text(0)  # raises: the total is past the limit
        self.cells += 1
        if self.cells > self.limits.max_filled_cells:
            raise TooLarge(f"{self.filename}: more than {self.limits.max_filled_cells:,} filled cells")

    def check_cell(self, length: int, where: str) -> None:
        if length > self.limits.max_cell_chars:
            raise TooLarge(
                f"{self.filename}: {where} holds more than {self.limits.max_cell_chars:,} characters "
                f"(Excel's limit for one cell)"
            )

    def add_text(self, length: int) -> None:
        self.chars += length
        if self.chars > self.limits.max_text_chars:
            raise TooLarge(
                f"{self.filename}: more than {self.limits.max_text_chars:,} characters of text in all"
            )


def _zip_entry_count(path: Path) -> int | None:
    """The entry count in the zip's end record, read before zipfile builds an object per entry."""
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - 65_557))
        tail = handle.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return None
    total = struct.unpack("<H", tail[at + 10 : at + 12])[0]
    return None if total == 0xFFFF else total  # 0xFFFF: a ZIP64 archive; zipfile reads it


def open_zip(path: Path, limits: Limits, *, kind: str) -> zipfile.ZipFile:
    """The zip, once its entry count and declared sizes are within the limits.

    zipfile never inflates a member past its declared size (and fails the CRC check if the data
    says otherwise), so checking the declared sizes bounds what can be read.
    """
    count = _zip_entry_count(path)
    if count is not None and count > limits.max_zip_entries:
        raise TooLarge(f"{path.name}: the {kind} holds {count:,} parts; a real one holds a few dozen")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ImportFailed(f"{path.name}: not a readable {kind} ({_first_line(exc)})") from None
    if len(archive.infolist()) > limits.max_zip_entries:
        archive.close()
        raise TooLarge(f"{path.name}: the {kind} holds too many parts")
    return archive


def check_parts(archive: zipfile.ZipFile, names: list[str], filename: str, limits: Limits) -> None:
    """Refuse before reading when the parts a reader is about to parse expand past the limit."""
    total = 0
    for name in names:
        info = archive.getinfo(name)
        total += info.file_size
        if total > limits.max_unzipped:
            ratio = info.file_size / max(info.compress_size, 1)
            raise TooLarge(
                f"{filename}: its content expands to more than {human_size(limits.max_unzipped)} "
                f"({name} alone is {human_size(info.file_size)}, {ratio:,.0f} times its packed size); "
                f"refused as too large to be a plan"
            )


def _first_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:120]
