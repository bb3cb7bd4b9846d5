"""Sentences of a trial report (abstract or full text) as exact character spans.

Full texts hold section headers (``ABSTRACT.RESULTS:``), table rows and captions, one per line:
each line is split on its own, headers and fragments too short to state a finding are dropped,
and every span indexes the original text, so a quote is always ``text[start:end]`` verbatim.
"""

from __future__ import annotations

import re

from biomedfm.evidence.sentences import split_sentences
from biomedfm.patterns import NOT_BLANK

MIN_SENTENCE_CHARS = 25
READABLE_TEXT = NOT_BLANK + "[^\\n\\r]{23,}" + NOT_BLANK
"""What a report needs to be read at all: MIN_SENTENCE_CHARS characters on one line, from
and to a non-blank one (the API states it as the ``text`` pattern)."""
MAX_SENTENCE_CHARS = 1500
_HEADER = re.compile(r"^\s*(?:[A-Z][A-Z0-9 .&/_-]*:|TITLE:)\s*$")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence that could report a finding, in text order."""
    return [span for span, _ in _spans_and_sections(text)]


def _spans_and_sections(text: str) -> list[tuple[tuple[int, int], str]]:
    """Each sentence span with the header line above it ("" before the first header)."""
    out: list[tuple[tuple[int, int], str]] = []
    offset, section = 0, ""
    for line in text.splitlines(keepends=True):
        if _HEADER.match(line):
            section = line.strip().rstrip(":")
        elif line.strip():
            for start, end in split_sentences(line):
                if end - start >= MIN_SENTENCE_CHARS:
                    span = (offset + start, offset + min(end, start + MAX_SENTENCE_CHARS))
                    out.append((span, section))
        offset += len(line)
    if not out:  # no sentence the splitter can find: the first long enough run of one line
        found = re.search(READABLE_TEXT, text)
        if found is not None:
            out.append(((found.start(), min(found.end(), found.start() + MAX_SENTENCE_CHARS)), ""))
    return out


class TrialText:
    """A report and its sentence spans."""

    def __init__(self, text: str) -> None:
        self.text = text
        found = _spans_and_sections(text)
        self.spans = [span for span, _ in found]
        self.sections = [section for _, section in found]

    def sentence(self, index: int) -> str:
        start, end = self.spans[index]
        return self.text[start:end]
