"""Study-design accuracy of `biomedfm.evidence.appraisal` against PubMedQA's MeSH design tags.

The classifier sees the abstract text only (contexts, no MeSH, no conclusion). Reference designs
come from the MeSH tags below; an abstract with several tags (e.g. Retrospective Studies +
Case-Control Studies) counts as correct when the prediction matches any of them ("consistent"),
and we also report agreement with the highest-ranked tag only ("strict").

Usage: python benchmarks/evidence_appraisal.py [--data-dir ../shared/data]
"""

from __future__ import annotations

import argparse
import collections
import json
from pathlib import Path

from biomedfm.config import resolve_data_dir
from biomedfm.evidence.appraisal import StudyDesign, appraise

MESH_DESIGNS: dict[str, StudyDesign] = {
    "Meta-Analysis as Topic": StudyDesign.META_ANALYSIS,
    "Randomized Controlled Trials as Topic": StudyDesign.RCT,
    "Random Allocation": StudyDesign.RCT,
    "Double-Blind Method": StudyDesign.RCT,
    "Prospective Studies": StudyDesign.PROSPECTIVE_COHORT,
    "Retrospective Studies": StudyDesign.RETROSPECTIVE_COHORT,
    "Case-Control Studies": StudyDesign.CASE_CONTROL,
    "Cross-Sectional Studies": StudyDesign.CROSS_SECTIONAL,
    "Surveys and Questionnaires": StudyDesign.CROSS_SECTIONAL,
    "Health Surveys": StudyDesign.CROSS_SECTIONAL,
    "Sensitivity and Specificity": StudyDesign.DIAGNOSTIC_ACCURACY,
    "Animals": StudyDesign.ANIMAL,
    "Cells, Cultured": StudyDesign.IN_VITRO,
    "Computer Simulation": StudyDesign.COMPUTATIONAL,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    path = resolve_data_dir(args.data_dir) / "pubmedqa" / "pqal_trainval.json"
    order = list(StudyDesign)
    consistent = strict = total = 0
    confusion: collections.Counter[tuple[str, str]] = collections.Counter()
    for entry in json.loads(path.read_text()).values():
        references = {MESH_DESIGNS[m] for m in entry["meshes"] if m in MESH_DESIGNS}
        if not references:
            continue
        predicted = appraise(" ".join(entry["contexts"])).design
        top = min(references, key=order.index)
        total += 1
        consistent += predicted in references
        strict += predicted == top
        confusion[(top.value, predicted.value)] += 1
    print(
        json.dumps(
            {
                "abstracts_with_a_design_tag": total,
                "accuracy_consistent": round(consistent / total, 3),
                "accuracy_strict": round(strict / total, 3),
                "per_design": {
                    design: {
                        "abstracts": sum(n for (ref, _), n in confusion.items() if ref == design),
                        "strict_accuracy": round(
                            confusion[(design, design)]
                            / max(1, sum(n for (ref, _), n in confusion.items() if ref == design)),
                            3,
                        ),
                    }
                    for design in sorted({ref for ref, _ in confusion})
                },
                "most_common_errors": [
                    f"{ref} → {pred}: {n}"
                    for (ref, pred), n in confusion.most_common(40)
                    if ref != pred
                ][:8],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
