"""Does the answer reader lose the end of its passage? Fold readers re-reading other passages.

The answer reader reads (proposition, passage) within 256 word pieces, truncating the longer
side from its end, so when the 1,100-character passage runs past the budget the last results
sentences are cut. This re-reads each PubMedQA question with the fold reader that never saw it
(``evidence train-answer --keep-folds``) and three passages: the trained one (a check: it must
reproduce ``cross_fit.json``), whole sentences from the end of the abstract within the token
budget, and the trained passage with sentences dropped from its front until it fits. Each is
paired with the trained passage (McNemar's exact test). An inference-only probe: the readers
were trained on the truncated passages.

Usage: python benchmarks/evidence_answer_passage.py FOLDS_DIR READER_DIR [--data-dir D]
       [--out FILE]
"""

from __future__ import annotations

import numpy as np

from _report import (
    accuracy_and_macro_f1,
    cross_fitted,
    directory_arguments,
    emit_report,
    mcnemar_p,
    pubmedqa_records,
)
from biomedfm.evidence.decision import proposition
from biomedfm.evidence.decision_train import context_sentences
from biomedfm.evidence.reader.answer import (
    MAX_LENGTH,
    answer_passage,
    last_within,
    passage_start,
)
from biomedfm.evidence.reader.model import EvidenceReaderModel


def passages(reader: EvidenceReaderModel, prop: str, sentences: list[str]) -> dict[str, str]:
    """The three passages of one question, by name."""
    room = MAX_LENGTH - 3 - len(reader.tokenizer.tokenize(prop))
    lengths = [len(reader.tokenizer.tokenize(s)) for s in sentences]
    within_tokens = last_within(lengths, room)
    return {
        "trained": answer_passage(sentences),
        "tokens": " ".join(sentences[within_tokens:]),
        "trained_front_trimmed": " ".join(
            sentences[max(passage_start(sentences), within_tokens) :]
        ),
    }


def main() -> None:
    args = directory_arguments(
        __doc__,
        ("folds", "fold readers (fold-0 … fold-K)"),
        ("reader", "the answer reader they were cross-fitted for"),
    )
    records = pubmedqa_records(args.data_dir)
    readings = cross_fitted(args.reader, records)
    ids, gold, fold = readings.ids, readings.gold, readings.fold
    read = {
        name: np.zeros(len(ids), dtype=np.int64)
        for name in ("trained", "tokens", "trained_front_trimmed")
    }
    truncated = 0
    for k in sorted(set(fold.tolist())):
        reader = EvidenceReaderModel.load(args.folds / f"fold-{k}")
        rows = np.where(fold == k)[0]
        props = [proposition(records[ids[i]]["question"]) for i in rows]
        texts = [
            passages(reader, p, context_sentences(records[ids[i]]["contexts"]))
            for p, i in zip(props, rows, strict=True)
        ]
        truncated += sum(t["trained"] != t["trained_front_trimmed"] for t in texts)
        for name in read:
            probabilities = reader.probabilities(props, [t[name] for t in texts], "stance")
            read[name][rows] = probabilities.argmax(1)
    reference = readings.probabilities.argmax(axis=1)
    report: dict[str, object] = {
        "questions": len(ids),
        "trained_passage_truncated": truncated,
        "cross_fit": accuracy_and_macro_f1(gold, reference),
        "reproduces_cross_fit": int((read["trained"] == reference).sum()),
    }
    for name in ("tokens", "trained_front_trimmed"):
        right, before = read[name] == gold, read["trained"] == gold
        report[name] = {
            **accuracy_and_macro_f1(gold, read[name]),
            "right_only_here": int((right & ~before).sum()),
            "right_only_trained": int((before & ~right).sum()),
            "p_value": mcnemar_p(int((right & ~before).sum()), int((before & ~right).sum())),
        }
    emit_report(report, args.out)


if __name__ == "__main__":
    main()
