"""Corpus readers: JSONL, PubMedQA-style JSON and PubMed/MEDLINE XML → :class:`Document`.

Readers yield a :class:`RecordProblem` for a malformed record instead of raising, so one bad
record never stops an ingest; the caller reports them.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast
from xml.etree.ElementTree import Element

from defusedxml.ElementTree import iterparse

from biomedfm.errors import InputError


@dataclass(frozen=True)
class Document:
    """One source: an abstract with its bibliographic metadata."""

    id: str
    abstract: str
    title: str = ""
    year: int | None = None
    mesh: tuple[str, ...] = ()
    publication_types: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class RecordProblem:
    """A record that could not be read: where it is and why."""

    location: str
    reason: str


@dataclass
class IngestReport:
    """Counts of an ingest, and every problem found."""

    added: int = 0
    duplicates: int = 0
    problems: list[RecordProblem] = field(default_factory=list)


Record = Document | RecordProblem


def read_corpus(path: Path) -> Iterator[Record]:
    """Read any supported corpus file, picking the reader from its name (``.gz`` allowed).

    Raises:
        InputError: missing file or unknown format.
    """
    if not path.is_file():
        raise InputError(f"corpus file {path} does not exist")
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    kind = suffixes[-1] if suffixes else ""
    readers = {".jsonl": read_jsonl, ".json": read_pubmedqa_json, ".xml": read_medline_xml}
    if kind not in readers:
        raise InputError(
            f"{path}: unknown corpus format {kind or '(no extension)'!r}; use .jsonl "
            "(one document per line), .json (PubMedQA layout) or .xml (PubMed/MEDLINE export)"
        )
    return readers[kind](path)


def _open(path: Path) -> IO[bytes]:
    if path.suffix == ".gz":
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def _document(record: dict[str, Any], location: str, source: str) -> Record:
    """Validate one JSON record (``id`` and ``abstract`` required)."""
    doc_id = str(record.get("id", "")).strip()
    abstract = record.get("abstract")
    if not doc_id:
        return RecordProblem(location, "missing 'id'")
    if not isinstance(abstract, str) or not abstract.strip():
        return RecordProblem(location, f"document {doc_id!r} has no 'abstract' text")
    year = record.get("year")
    try:
        year_value = int(year) if year not in (None, "") else None
    except (TypeError, ValueError):
        return RecordProblem(location, f"document {doc_id!r}: 'year' {year!r} is not a year")
    return Document(
        id=doc_id,
        abstract=abstract.strip(),
        title=str(record.get("title") or "").strip(),
        year=year_value,
        mesh=tuple(str(m) for m in record.get("mesh") or ()),
        publication_types=tuple(str(t) for t in record.get("publication_types") or ()),
        source=source,
    )


def read_jsonl(path: Path) -> Iterator[Record]:
    """One JSON object per line: ``id``, ``abstract`` (required), ``title``, ``year``, ``mesh``,
    ``publication_types``."""
    with _open(path) as handle:
        for number, raw in enumerate(handle, start=1):
            line = raw.decode("utf-8", errors="replace").strip()
            if not line:
                continue
            location = f"{path.name}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                yield RecordProblem(location, f"not valid JSON ({error.msg})")
                continue
            if not isinstance(record, dict):
                yield RecordProblem(location, "a line must hold a JSON object")
                continue
            yield _document(record, location, path.name)


def read_pubmedqa_json(path: Path) -> Iterator[Record]:
    """PubMedQA layout: ``{pmid: {"question", "contexts": [...], "meshes", "year", ...}}``.

    The abstract is the contexts joined (the conclusion, ``long_answer``, is left out, as in
    PubMedQA's reasoning-required setting).
    """
    with _open(path) as handle:
        try:
            data = json.load(handle)
        except json.JSONDecodeError as error:
            raise InputError(
                f"{path} is not valid JSON: {error.msg} (line {error.lineno})"
            ) from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected an object keyed by PubMed id (PubMedQA layout)")
    for key, entry in data.items():
        location = f"{path.name}:{key}"
        if not isinstance(entry, dict) or not isinstance(entry.get("contexts"), list):
            yield RecordProblem(location, "record lacks a 'contexts' list")
            continue
        yield _document(
            {
                "id": key,
                "abstract": " ".join(str(c).strip() for c in entry["contexts"]),
                "year": entry.get("year"),
                "mesh": entry.get("meshes") or (),
            },
            location,
            path.name,
        )


def _text(element: Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def read_medline_xml(path: Path) -> Iterator[Record]:
    """PubMed/MEDLINE XML (``PubmedArticleSet``), streamed article by article.

    Labelled abstract sections (BACKGROUND:, METHODS: ...) are joined in order.
    """
    with _open(path) as handle:
        try:
            for _, element in iterparse(handle, events=("end",)):
                if element.tag != "PubmedArticle":
                    continue
                yield _medline_article(element, path.name)
                element.clear()
        except Exception as error:  # any parser error ends this file, not the ingest
            yield RecordProblem(path.name, f"XML parse error: {error}")


def _medline_article(article: Element, source: str) -> Record:
    pmid = _text(article.find("MedlineCitation/PMID"))
    parts = []
    for section in article.findall("MedlineCitation/Article/Abstract/AbstractText"):
        text = _text(section)
        label = section.get("Label")
        if text:
            parts.append(f"{label.capitalize()}: {text}" if label else text)
    year = _text(article.find("MedlineCitation/Article/Journal/JournalIssue/PubDate/Year"))
    return _document(
        {
            "id": pmid,
            "abstract": " ".join(parts),
            "title": _text(article.find("MedlineCitation/Article/ArticleTitle")),
            "year": year or None,
            "mesh": [
                _text(m)
                for m in article.findall(
                    "MedlineCitation/MeshHeadingList/MeshHeading/DescriptorName"
                )
            ],
            "publication_types": [
                _text(t)
                for t in article.findall(
                    "MedlineCitation/Article/PublicationTypeList/PublicationType"
                )
            ],
        },
        f"{source}:PMID {pmid or '?'}",
        source,
    )
