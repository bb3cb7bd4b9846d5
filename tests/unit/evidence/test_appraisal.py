import pytest

from biomedfm.evidence.appraisal import StudyDesign, appraise, sample_size


@pytest.mark.parametrize(
    ("text", "design", "level"),
    [
        (
            "We performed a systematic review and meta-analysis of 12 trials.",
            StudyDesign.META_ANALYSIS,
            1,
        ),
        (
            "In this double-blind trial, 240 adults were randomized to drug or placebo.",
            StudyDesign.RCT,
            2,
        ),
        (
            "A prospective cohort of 3,000 nurses was followed for 10 years.",
            StudyDesign.PROSPECTIVE_COHORT,
            3,
        ),
        (
            "We retrospectively reviewed the medical records of 88 patients.",
            StudyDesign.RETROSPECTIVE_COHORT,
            3,
        ),
        (
            "A case-control study with 50 cases and 100 matched controls.",
            StudyDesign.CASE_CONTROL,
            4,
        ),
        (
            "A cross-sectional survey of 400 residents using a questionnaire.",
            StudyDesign.CROSS_SECTIONAL,
            4,
        ),
        ("We report a case of a 45-year-old man with a rare tumour.", StudyDesign.CASE_SERIES, 4),
        (
            "Sensitivity and specificity of ultrasound against biopsy were computed.",
            StudyDesign.DIAGNOSTIC_ACCURACY,
            3,
        ),
        ("Wistar rats received the compound for four weeks.", StudyDesign.ANIMAL, 5),
        ("The drug inhibited growth of two cancer cell lines in vitro.", StudyDesign.IN_VITRO, 5),
        (
            "Molecular docking and in silico screening ranked the ligands.",
            StudyDesign.COMPUTATIONAL,
            5,
        ),
        ("Hospitals differ in how they staff night shifts.", StudyDesign.OTHER, 5),
    ],
)
def test_designs_and_levels(text: str, design: StudyDesign, level: int) -> None:
    appraisal = appraise(text)
    assert appraisal.design == design
    assert appraisal.evidence_level == level
    if design != StudyDesign.OTHER:
        assert appraisal.signals  # the phrases that decided it are kept


def test_publication_type_wins() -> None:
    appraisal = appraise("Rats were studied.", ("Randomized Controlled Trial",))
    assert appraisal.design == StudyDesign.RCT
    assert appraisal.signals == ("publication type: Randomized Controlled Trial",)


def test_sample_size() -> None:
    assert sample_size("One cohort (n = 1,250) and a subgroup of 300 women.") == 1250
    assert sample_size("Doses of 300 mg were given.") is None


def test_common_designs_named_in_other_words() -> None:
    assert appraise("A population-based case-referent study of 300 women.").design == (
        StudyDesign.CASE_CONTROL
    )
    assert appraise("We compared 40 cases and 80 matched healthy controls.").design == (
        StudyDesign.CASE_CONTROL
    )
    records = "We reviewed the medical records of 212 patients treated between 2001 and 2009."
    assert appraise(records).design == StudyDesign.RETROSPECTIVE_COHORT
