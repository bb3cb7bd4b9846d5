"""Ingestion of each corpus format, deduplication, sentence offsets, BM25 retrieval."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from biomedfm.errors import InputError
from biomedfm.evidence.ingest import Document, RecordProblem, read_corpus
from biomedfm.evidence.retrieval.bm25 import BM25Index, build_indexes
from biomedfm.evidence.sentences import split_sentences
from biomedfm.evidence.store import EvidenceStore

STATIN = (
    "Statins lower LDL cholesterol. In this randomized controlled trial of 1,200 adults, "
    "atorvastatin reduced stroke by 20% vs. placebo (p < 0.05). Adverse events were rare."
)
ASPIRIN = "Aspirin after myocardial infarction was studied in 300 patients. Bleeding rose."

MEDLINE = """<?xml version="1.0"?>
<PubmedArticleSet>
 <PubmedArticle><MedlineCitation><PMID>111</PMID><Article>
  <Journal><JournalIssue><PubDate><Year>2019</Year></PubDate></JournalIssue></Journal>
  <ArticleTitle>Statins and stroke</ArticleTitle>
  <Abstract><AbstractText Label="BACKGROUND">Statins lower LDL.</AbstractText>
   <AbstractText Label="RESULTS">Stroke fell by 20%.</AbstractText></Abstract>
  <PublicationTypeList><PublicationType>Randomized Controlled Trial</PublicationType>
  </PublicationTypeList></Article>
  <MeshHeadingList><MeshHeading><DescriptorName>Stroke</DescriptorName></MeshHeading>
  </MeshHeadingList></MedlineCitation></PubmedArticle>
 <PubmedArticle><MedlineCitation><PMID>112</PMID><Article><ArticleTitle>No abstract</ArticleTitle>
  </Article></MedlineCitation></PubmedArticle>
</PubmedArticleSet>
"""


def test_jsonl_reports_malformed_lines(tmp_path: Path) -> None:
    path = tmp_path / "corpus.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps({"id": "a", "abstract": STATIN, "year": 2020, "mesh": ["Stroke"]}),
                "{not json",
                json.dumps({"id": "b"}),
                json.dumps({"abstract": "no id"}),
                json.dumps({"id": "c", "abstract": ASPIRIN, "year": "last year"}),
                json.dumps(["a list"]),
            ]
        )
    )
    records = list(read_corpus(path))
    documents = [r for r in records if isinstance(r, Document)]
    problems = [r for r in records if isinstance(r, RecordProblem)]
    assert [d.id for d in documents] == ["a"]
    assert documents[0].mesh == ("Stroke",)
    assert [p.location for p in problems] == [f"corpus.jsonl:{n}" for n in (2, 3, 4, 5, 6)]
    assert "no 'abstract'" in problems[1].reason
    assert "not a year" in problems[3].reason


def test_pubmedqa_json_and_gzip(tmp_path: Path) -> None:
    path = tmp_path / "qa.json.gz"
    data = {
        "1": {
            "question": "q?",
            "contexts": ["First part.", "Second part."],
            "year": "2001",
            "meshes": ["Humans"],
        },
        "2": {"question": "broken"},
    }
    with gzip.open(path, "wt") as handle:
        json.dump(data, handle)
    records = list(read_corpus(path))
    assert isinstance(records[0], Document)
    assert records[0].abstract == "First part. Second part."
    assert records[0].year == 2001
    assert isinstance(records[1], RecordProblem)


def test_medline_xml(tmp_path: Path) -> None:
    path = tmp_path / "pubmed.xml"
    path.write_text(MEDLINE)
    first, second = read_corpus(path)
    assert isinstance(first, Document)
    assert first.title == "Statins and stroke"
    assert first.abstract == "Background: Statins lower LDL. Results: Stroke fell by 20%."
    assert first.publication_types == ("Randomized Controlled Trial",)
    assert first.mesh == ("Stroke",)
    assert first.year == 2019
    assert isinstance(second, RecordProblem)
    assert "112" in second.location


def test_truncated_xml_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "cut.xml"
    path.write_text(MEDLINE[:400])
    assert any(isinstance(r, RecordProblem) and "XML" in r.reason for r in read_corpus(path))


def test_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "corpus.txt"
    path.write_text("x")
    with pytest.raises(InputError, match="unknown corpus format"):
        read_corpus(path)


def test_sentence_spans_are_exact() -> None:
    spans = split_sentences(STATIN)
    texts = [STATIN[s:e] for s, e in spans]
    assert texts == [
        "Statins lower LDL cholesterol.",
        "In this randomized controlled trial of 1,200 adults, atorvastatin reduced stroke by "
        "20% vs. placebo (p < 0.05).",
        "Adverse events were rare.",
    ]


def test_store_is_incremental_and_deduplicates(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "idx" / "corpus.sqlite")
    report = store.add([Document("a", STATIN), Document("b", ASPIRIN)])
    assert (report.added, report.duplicates) == (2, 0)
    # same id again, and the same abstract under a new id (white space/case changed)
    report = store.add([Document("a", "other"), Document("z", STATIN.upper() + "  ")])
    assert (report.added, report.duplicates) == (0, 2)
    assert len(store) == 2
    sentences = store.sentences("a")
    assert [s.id for s in sentences] == ["a:s0", "a:s1", "a:s2"]
    document = store.document("a")
    assert document is not None
    assert all(document.abstract[s.start : s.end] == s.text for s in sentences)
    assert store.sentence("a:s1") == sentences[1]
    assert store.sentence("a:s9") is None
    store.close()
    reopened = EvidenceStore(tmp_path / "idx" / "corpus.sqlite")
    assert len(reopened) == 2  # persisted


def test_bm25_finds_the_right_document_and_sentence(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "corpus.sqlite")
    store.add([Document("a", STATIN, title="Statins"), Document("b", ASPIRIN)])
    build_indexes(store, tmp_path)
    documents = BM25Index.load(tmp_path / "bm25_documents")
    sentences = BM25Index.load(tmp_path / "bm25_sentences")
    assert documents.search("does aspirin cause bleeding?", k=5)[0].id == "b"
    assert sentences.search("stroke reduction with atorvastatin", k=1)[0].id == "a:s1"
    assert documents.search("the of and", k=5) == []  # stop words only
