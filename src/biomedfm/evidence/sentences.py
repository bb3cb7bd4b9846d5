"""Sentence splitting tuned for biomedical abstracts.

A regex splitter rather than a model: abstracts are well-punctuated, and the splitter must be
deterministic because citations point at sentence ids. It does not split after common
abbreviations (e.g., i.e., et al., vs., Fig.), initials, or inside decimals ("p < 0.05").
"""

from __future__ import annotations

import re

_ABBREVIATIONS = {
    "e.g",
    "i.e",
    "al",
    "vs",
    "fig",
    "figs",
    "approx",
    "ca",
    "cf",
    "dr",
    "mr",
    "mrs",
    "ms",
    "no",
    "nos",
    "vol",
    "ref",
    "resp",
    "spp",
    "sp",
    "st",
    "inc",
    "ltd",
    "co",
    "jr",
    "sr",
    "mg",
    "ml",
    "kg",
    "min",
    "max",
    "yr",
    "yrs",
    "mo",
    "wk",
    "wks",
    "hr",
    "hrs",
    "sec",
    "eq",
}
_BOUNDARY = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans ``(start, end)`` of the sentences of ``text``, white space trimmed.

    Spans (not strings) are returned so that a quote can always be checked against the exact
    source text.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        candidate = text[start : match.start()].rstrip()
        last_word = candidate.rsplit(None, 1)[-1].rstrip(".").lower() if candidate else ""
        if last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
            continue
        spans.append(_trim(text, start, match.start()))
        start = match.end()
    if text[start:].strip():
        spans.append(_trim(text, start, len(text)))
    return [span for span in spans if span[1] > span[0]]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
