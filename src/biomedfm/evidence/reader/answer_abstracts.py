"""Yes/no questions made from trial abstracts' own conclusions, the way PubMedQA's PQA-A was.

PubMedQA's authors lifted BioBERT from 0.57 to 0.68 with 211k artificial questions (PQA-A): a
statement from the article turned into a question, answered yes unless the statement is negated,
asked of the abstract without its conclusion. Their source was PubMed titles; ours are the
Evidence Inference trials' structured abstracts (about 2,200 of 3,006 have a conclusion
section), and the statement is the conclusion's first sentence that rules can turn into a
question (873 questions from the trials outside the validation split; BENCHMARKS.md,
"Questions made from trial abstracts", measures them as a warm-up):

- "X was (not) associated with / effective for / superior to Y" → "Was X associated with Y?";
- "X did not improve Y", "X failed to improve Y", "X had no effect on Y" → no;
- "X (significantly) reduced / improved / increased ... Y" → "Did X reduce Y?", yes;
- "X can / may / should (not) be used for Y" → "Can X be used for Y?";
- "There was no (significant) difference in Y between A and B" → "Was there a difference ...?".

A lead-in ("In conclusion, our results suggest that") is dropped, and the question stops at a
contrast ("..., but not ..."), so the answer is the conclusion's main clause. Like PQA-A's, the
questions have no ``maybe`` and most are ``yes``. The passage is the abstract without its
conclusion, cut as PubMedQA's contexts are
(:func:`~biomedfm.evidence.reader.answer.answer_passage`).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path

from biomedfm.evidence.sentences import split_sentences

_SECTION = re.compile(r"^(ABSTRACT|BODY|TITLE)(?:\.([^\n:]*))?:\s*$", re.MULTILINE)
_CONCLUSION = re.compile(r"CONCLU|INTERPRETATION|IMPLICATION", re.IGNORECASE)
_LEAD = re.compile(
    r"^(?:(?:in conclusion|in summary|to conclude|to summari[sz]e|overall|thus|therefore|hence"
    r"|taken together|collectively|in short|finally|conclusions?)\s*[,:]?\s*)?"
    r"(?:(?:these|our|the present|this|the|in this|in our)\s+(?:\w+\s+){0,3}?"
    r"(?:results|findings|data|study|trial|studies|observations|analysis|analyses)\s+"
    r"(?:\w+\s+){0,2}?(?:suggests?|show(?:s|ed)?|indicated?s?|demonstrated?s?|confirm(?:s|ed)?"
    r"|support(?:s|ed)?|provided? evidence|reveal(?:s|ed)?)\s+that\s+"
    r"|(?:we|it was)\s+(?:conclude|found|showed|demonstrated|observed|concluded|shown)\s+that\s+)?",
    re.IGNORECASE,
)
# any other lead-in that ends in "... that": "The results of the current study show that"
_THAT = re.compile(
    r"^[^,;]{0,120}?\b(?:suggest|show|indicate|demonstrate|confirm|support|reveal|conclude|find"
    r"|found|observe|imply|implie|prove)(?:s|d|ed|n)?\s+that\s+",
    re.IGNORECASE,
)
# "In Zambia, X did ...": the setting moves to the question's end
_SETTING = re.compile(
    r"^(?P<setting>(?:in|among|for|after|during|at|with|in patients)\s[^,]{3,80}),\s+(?P<text>.+)$",
    re.IGNORECASE,
)
_BAD_SUBJECT = re.compile(
    r"^(?:however|although|though|while|because|due|since|whereas|despite|if|when|none|no"
    r"|neither|nor|but|thus|hence|also|further)\b|\.\s|, (?:and|while)\b|\bthat\b"
    r"|\b(?:is|are|was|were|has|have|had|did|does|do|can|could|may|might|should|will|would"
    r"|caused|showed|shows)\b",
    re.IGNORECASE,
)
_CONTRAST = re.compile(
    r",?\s+(?:but|whereas|although|though|while|however|except)\b|;|\s+and\s+(?:was|were|did|is)\b"
)
_SUBJECT = r"(?P<s>[A-Za-z0-9(][^;:]{6,160}?)"
_ADVERB = (
    r"(?:(?:significantly|markedly|substantially|effectively|also|further|greatly|clearly"
    r"|modestly|slightly|dramatically|considerably|safely|successfully|statistically)\s+)?"
)
_COPULA = re.compile(
    _SUBJECT + r"\s+(?P<aux>is|are|was|were)\s+(?P<neg>not\s+)?" + _ADVERB + r"(?P<pred>(?:(?:more"
    r"|less|as|equally|highly|both|very|well)\s+)?(?:associated|effective|efficacious|safe"
    r"|superior|inferior|better|worse|related|correlated|feasible|useful|beneficial|comparable"
    r"|similar|equivalent|non-?inferior|tolerated|accurate|reliable|predictive|able|sufficient"
    r"|necessary|helpful|valuable|appropriate|linked|cost-effective"
    r"|acceptable|successful|improved|reduced|increased|decreased|different)\b.*)$",
    re.IGNORECASE,
)
_DO_NOT = re.compile(
    _SUBJECT + r"\s+(?:(?P<aux>does|do|did)\s+not|(?P<failed>failed|fails|fail)\s+to)\s+"
    r"(?P<verb>[a-z]+)\b(?P<rest>.*)$",
    re.IGNORECASE,
)
_NO_EFFECT = re.compile(
    _SUBJECT + r"\s+(?P<aux>had|has|have)\s+no\s+(?:significant\s+|clinically\s+relevant\s+"
    r"|statistically\s+significant\s+|beneficial\s+|additional\s+|measurable\s+)?"
    r"(?P<noun>effect|impact|influence|benefit|advantage)s?\s+(?P<rest>(?:on|over|in|for)\b.*)$",
    re.IGNORECASE,
)
# the question's verb (base form) and its forms as conclusions state it
_VERBS = {
    "improve": "improves|improved",
    "reduce": "reduces|reduced",
    "increase": "increases|increased",
    "decrease": "decreases|decreased",
    "prevent": "prevents|prevented",
    "lower": "lowers|lowered",
    "enhance": "enhances|enhanced",
    "shorten": "shortens|shortened",
    "prolong": "prolongs|prolonged",
    "attenuate": "attenuates|attenuated",
    "alleviate": "alleviates|alleviated",
    "relieve": "relieves|relieved",
    "accelerate": "accelerates|accelerated",
    "delay": "delays|delayed",
    "promote": "promotes|promoted",
    "inhibit": "inhibits|inhibited",
    "suppress": "suppresses|suppressed",
    "result in": "results in|resulted in",
    "lead to": "leads to|led to",
    "provide": "provides|provided",
    "offer": "offers|offered",
    "decline": "declines|declined",
    "improve on": "improves on|improved on",
}
_FORM_TO_BASE = {form: base for base, forms in _VERBS.items() for form in forms.split("|")}
_AFFIRMATIVE = re.compile(
    _SUBJECT
    + r"\s+"
    + _ADVERB
    + r"(?P<verb>"
    + "|".join(sorted(_FORM_TO_BASE, key=len, reverse=True))
    + r")\b(?P<rest>.+)$",
    re.IGNORECASE,
)
_MODAL = re.compile(
    _SUBJECT + r"\s+(?P<aux>can|could|may|might|should)\s+(?P<neg>not\s+)?(?P<rest>[a-z].*)$",
    re.IGNORECASE,
)
_THERE = re.compile(
    r"^there\s+(?P<aux>is|are|was|were)\s+(?P<neg>no\s+|a\s+|an\s+)?(?:(?:statistically\s+)?"
    r"significant\s+|clear\s+|clinically\s+(?:relevant|significant)\s+)?(?P<noun>differences?"
    r"|associations?|correlations?|relationships?|benefits?|improvements?|reductions?"
    r"|increases?|effects?)\b(?P<rest>.*)$",
    re.IGNORECASE,
)
# a verb form after these words is an adjective ("with increased risk"), not the main verb
_NOT_A_SUBJECT_END = re.compile(
    r"\b(?:with|of|the|a|an|and|or|in|by|for|to|from|on|at|that|which|who|whose|as|than)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class AbstractQuestion:
    """One question made from an abstract: the question, the passage it is asked of, the
    yes/no answer its conclusion gives, and where it came from."""

    question: str
    passage_sentences: list[str]
    answer: str
    source: str
    conclusion: str


def _subject(text: str) -> str | None:
    """The subject as a question carries it (first letter lower-cased unless an acronym).

    One-word subjects are refused ("It", "These", but also "Aspirin"): fewer questions, but
    none about a pronoun.
    """
    text = text.strip().strip(",")
    if (
        len(text.split()) < 2
        or _NOT_A_SUBJECT_END.search(text)
        or _BAD_SUBJECT.search(text)
        or re.search(r"\bnot\b", text)
    ):
        return None
    first = text.split()[0]
    if first.isalpha() and (len(first) == 1 or first[1:].islower()):
        text = text[0].lower() + text[1:]
    return text


def _clause(rest: str) -> str:
    """``rest`` cut before a contrast or a second clause, without its final stop."""
    rest = _CONTRAST.split(rest, maxsplit=1)[0]
    return rest.strip().rstrip(".").strip()


def _ask(aux: str, subject: str, predicate: str) -> str:
    return f"{aux.capitalize()} {subject} {predicate}?".replace("  ", " ")


def conclusion_question(sentence: str) -> tuple[str, str] | None:
    """(question, yes/no) that a conclusion sentence answers, or None when no rule applies."""
    text = _LEAD.sub("", sentence.strip(), count=1).strip()
    text = _THAT.sub("", text, count=1).strip()
    setting = _SETTING.match(text)
    made = _question(setting["text"] if setting else text)
    if made is None or setting is None:
        return made
    question, answer = made
    return f"{question[:-1]} {setting['setting'][0].lower()}{setting['setting'][1:]}?", answer


def _question(text: str) -> tuple[str, str] | None:
    """:func:`conclusion_question` of a sentence without its lead-in and setting."""
    if not text or len(text) > 400:
        return None
    text = text[0].upper() + text[1:]
    found = _THERE.match(text)
    if found:
        negated = (found["neg"] or "").strip().lower() == "no"
        noun = re.sub(r"s$", "", found["noun"].lower())
        rest = _clause(found["rest"])
        if not rest:
            return None
        article = "an" if noun[0] in "aeiou" else "a"
        aux = "was" if found["aux"].lower() in ("was", "were") else "is"
        return _ask(aux, "there", f"{article} {noun} {rest}"), "no" if negated else "yes"
    found = _NO_EFFECT.match(text)
    if found and (subject := _subject(found["s"])):
        rest = _clause(found["rest"])
        aux = {"had": "did", "has": "does", "have": "do"}[found["aux"].lower()]
        verb = "affect" if found["noun"].lower() in ("effect", "impact", "influence") else "benefit"
        rest = re.sub(r"^(?:on|in|for)\s+", "", rest)  # "affect Y", "benefit Y"
        return (_ask(aux, subject, f"{verb} {rest}"), "no") if rest else None
    found = _DO_NOT.match(text)
    if found and (subject := _subject(found["s"])):
        aux = (
            found["aux"]
            or {"failed": "did", "fails": "does", "fail": "do"}[found["failed"].lower()]
        )
        rest = _clause(found["verb"] + found["rest"])
        return _ask(aux, subject, rest), "no"
    found = _COPULA.match(text)
    if found and (subject := _subject(found["s"])):
        predicate = _clause(found["pred"])
        return _ask(found["aux"], subject, predicate), "no" if found["neg"] else "yes"
    found = _MODAL.match(text)
    if found and (subject := _subject(found["s"])):
        aux = "may" if found["aux"].lower() == "might" else found["aux"]
        rest = _clause(found["rest"])
        return _ask(aux, subject, rest), "no" if found["neg"] else "yes"
    found = _AFFIRMATIVE.match(text)
    if found and (subject := _subject(found["s"])):
        form = found["verb"].lower()
        base = _FORM_TO_BASE[form]
        aux = "did" if form.split()[0].endswith("ed") or form.startswith("led") else "does"
        rest = _clause(found["rest"])
        return (_ask(aux, subject, f"{base} {rest}"), "yes") if len(rest.split()) >= 2 else None
    return None


def abstract_sections(text: str) -> list[tuple[str, str]]:
    """(section name, body) of an article's ``ABSTRACT.*`` sections, in order."""
    headers = list(_SECTION.finditer(text))
    out = []
    for here, after in zip(headers, [*headers[1:], None], strict=False):
        if here.group(1) != "ABSTRACT":
            continue
        body = text[here.end() : after.start() if after is not None else len(text)].strip()
        if body:
            out.append(((here.group(2) or "").strip(), body))
    return out


def abstract_question(text: str, source: str = "") -> AbstractQuestion | None:
    """The question an article's abstract answers by its conclusion, with the rest of the
    abstract as passage; None without a conclusion section, a rule that applies, or results."""
    from biomedfm.evidence.decision_train import context_sentences

    sections = abstract_sections(text)
    conclusions = [body for name, body in sections if _CONCLUSION.search(name)]
    contexts = [body for name, body in sections if not _CONCLUSION.search(name)]
    if not conclusions or not contexts:
        return None
    conclusion = " ".join(conclusions)
    for start, end in split_sentences(conclusion):
        made = conclusion_question(conclusion[start:end])
        if made is not None:
            question, answer = made
            return AbstractQuestion(
                question, context_sentences(contexts), answer, source, conclusion[start:end]
            )
    return None


def held_out_articles(directory: Path) -> set[str]:
    """PMC ids of the Evidence Inference articles in its validation split (kept out)."""
    with (directory / "prompts.csv").open(newline="") as handle:
        return {row["pmcid"] for row in csv.DictReader(handle) if row["split"] == "validation"}


def read_abstract_questions(
    directory: Path, exclude_openings: AbstractSet[str] = frozenset()
) -> list[AbstractQuestion]:
    """One question from each Evidence Inference article outside its validation split.

    Args:
        exclude_openings: :func:`opening` of abstract sentences to leave out (the PubMedQA
            questions being trained and validated on, should a trial be one of them); an
            article goes when one of its first three sentences is among them.
    """
    held_out = held_out_articles(directory)
    out = []
    for path in sorted((directory / "articles").glob("PMC*.txt")):
        pmcid = path.stem.removeprefix("PMC")
        if pmcid in held_out:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        made = abstract_question(text, pmcid)
        if made is None:
            continue
        if any(opening(s) in exclude_openings for s in made.passage_sentences[:3]):
            continue
        out.append(made)
    return out


def opening(sentence: str) -> str:
    """The first 60 letters and digits of a sentence, lower-cased: to spot the same abstract."""
    return re.sub(r"[^a-z0-9]", "", sentence.lower())[:60]
