"""What the Word and Excel readers share: finding parts through their relationships, and parsing a
part's XML safely (no entities, no network, no text node past libxml2's 10 MB guard)."""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Iterator

from lxml import etree

from storage.errors import ImportFailed

REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_DOCUMENT = "/officeDocument"


_LOCAL_NAMES: dict[str, str] = {}
_LOCAL_NAMES_MAX = 4_096  # a document uses a few dozen tags; a hostile one cannot grow this past the cap


def local(tag: object) -> str:
    """The tag without its namespace, so Strict OOXML (purl.oclc.org) reads like Transitional."""
    # Called once or more per cell: the split is remembered per tag.
    name = _LOCAL_NAMES.get(tag) if isinstance(tag, str) else ""
    if name is None:
        name = tag.rsplit("}", 1)[-1]  # type: ignore[union-attr]
        if len(_LOCAL_NAMES) < _LOCAL_NAMES_MAX:
            _LOCAL_NAMES[tag] = name  # type: ignore[index]
    return name


def first_child(el: etree._Element, name: str) -> etree._Element | None:
    """``el.find("{*}name")`` (the first child called ``name`` in any namespace or none), without
    ElementPath's cost per call: a few microseconds a cell at thousands of cells."""
    for child in el:
        if local(child.tag) == name:
            return child
    return None


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)


def parse_part(archive: zipfile.ZipFile, name: str, filename: str, kind: str) -> etree._Element | None:
    """A small part (styles, numbering, workbook, relationships) parsed whole; None when absent."""
    try:
        data = archive.read(name)
    except KeyError:
        return None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:  # a damaged member or CRC error
        raise ImportFailed(f"{filename}: not a readable {kind} ({reason(exc)})") from None
    try:
        return etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise ImportFailed(f"{filename}: not a readable {kind} ({name}: {reason(exc)})") from None


def iterparse(
    archive: zipfile.ZipFile, name: str, tags: tuple[str, ...], *, events: tuple[str, ...] = ("end",)
) -> Iterator[tuple[str, etree._Element]]:
    """Stream a (possibly large) part; the caller clears elements it has finished with."""
    handle = archive.open(name)
    try:
        yield from etree.iterparse(
            handle,
            events=events,
            tag=tags or None,
            resolve_entities=False,
            no_network=True,
            huge_tree=False,
            load_dtd=False,
        )
    finally:
        handle.close()


def relationships(
    archive: zipfile.ZipFile, part: str, filename: str, kind: str
) -> dict[str, tuple[str, str]]:
    """rId -> (type suffix, part name) for a part's relationships ("" for the package itself)."""
    folder, base = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", f"{base}.rels")
    root = parse_part(archive, rels_name, filename, kind)
    found: dict[str, tuple[str, str]] = {}
    if root is None:
        return found
    for rel in root:
        if local(rel.tag) != "Relationship" or rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target", "")
        resolved = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join(folder, target))
        )
        kind_suffix = rel.get("Type", "").rsplit("/", 1)[-1]
        found[rel.get("Id", "")] = (kind_suffix, resolved)
    return found


def main_part(archive: zipfile.ZipFile, filename: str, kind: str, default: str) -> str:
    for rel_type, target in relationships(archive, "", filename, kind).values():
        if rel_type == OFFICE_DOCUMENT.strip("/") and target in archive.NameToInfo:
            return target
    if default in archive.NameToInfo:
        return default
    raise ImportFailed(f"{filename}: not a readable {kind} (it has no main document part)")


def reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:120]
