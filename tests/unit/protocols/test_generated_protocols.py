"""The rules extractor on generated PDFs: the same criteria printed in the layouts real protocols use.

Each layout is described with :mod:`tests.support.protocol_pdfs`, rendered to a PDF with
reportlab and run through :func:`common.agents.protocol_processor.rules.extract_summary`. The
expected criteria, ids and pages come from the description, never from the extractor. Every
layout must reach 95% recall and precision (default token-overlap threshold), a mean overlap of
0.9 over the matched pairs, and put each matched criterion on the page where it starts.

Layouts (see ``LAYOUTS``):

* TransCelerate CPT: "5.1. Inclusion Criteria", the template's intro sentence, unnumbered group
  sub-headings (with or without a colon), numbering running on across them, exclusion numbering
  restarting or continuing, a./b./i./ii. sub-items; with front matter (amendment table and
  abbreviations quoting the criteria headings, roman page numbers), notes and tables inside
  items, markers as separate text objects, bookmarks, justified text, no table of contents,
  contents without dot leaders;
* sponsor styles: "5.1 Inclusion criteria" with 1./a)/• and an item over a page break and a
  "Note:" paragraph after the list (Novartis-like); bullet-only lists with nested bullets, also
  with one glyph for every level (Roche-like); bare numbers "1 Participant ..." with (a) items
  (AstraZeneca-like); "[1] are at least ..." lower-case items continuing into the exclusions
  (Lilly-like); IN01/EX01 and I1/E1 labels under "Selection of Study Population";
* NCI CTEP: criteria numbered as sub-sections ("5.1.1") under "5.1 Eligibility Criteria" and
  "5.2 Exclusion Criteria", a laboratory table inside an item;
* academic: unnumbered capitals ("INCLUSION CRITERIA"), no contents; "Inclusion criteria:" labels
  inside "Study population" (numbered and unnumbered headings; "Non-inclusion criteria");
  "SECTION 4" / "Section 4.1" headings; lettered items a. to j.;
* a synopsis (table or text) that repeats the criteria, abbreviated or in full, before the
  full section: the full section's list must win;
* tables and columns: criteria as a two-column label | text table (labels extract on a line of
  their own, then the text); a journal-style two-column body, where an item runs from the
  right column into the left column of the next page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import cache

import pytest

from common.agents.protocol_processor.models import Criterion, ProtocolSummary
from common.agents.protocol_processor.rules import extract_summary
from common.evaluation import score_criteria
from common.pdf.document import Document, Line
from common.pdf.layout import document_from_pdf
from common.pdf.list_markers import match_marker
from common.pdf.text import read_pdf
from common.protocols.criteria import parse_criteria, parse_criteria_lines
from common.protocols.sections import find_headings, locate_sections
from tests.support.protocol_pdfs import (
    Block,
    CriteriaList,
    ExpectedCriterion,
    GridTable,
    Heading,
    Item,
    KeyValueTable,
    Label,
    NewPage,
    Para,
    Protocol,
    RenderedProtocol,
    SubHeading,
    filler,
    render_protocol,
)

MIN_SCORE = 0.95
MIN_MEAN_RATIO = 0.9

# ---------------------------------------------------------------------------------------------
# The criteria: realistic texts of varying length, with numbers, ranges and ≥/≤ symbols.
# ---------------------------------------------------------------------------------------------

AGE = Item("Participant must be 18 to 75 years of age inclusive, at the time of signing the informed consent.")
DIAGNOSIS = Item(
    "Histologically or cytologically confirmed diagnosis of locally advanced or metastatic non-small cell "
    "lung cancer (NSCLC) that is not amenable to curative surgery or radiotherapy."
)
MEASURABLE = Item(
    "At least one measurable lesion per RECIST v1.1, with a longest diameter ≥10 mm (≥15 mm in short axis "
    "for lymph nodes), that has not been previously irradiated."
)
ECOG = Item("Eastern Cooperative Oncology Group (ECOG) performance status of 0 or 1.")
ORGAN = Item(
    "Adequate organ and bone marrow function, defined as:",
    sub=(
        Item("absolute neutrophil count ≥1.5 × 10^9/L;"),
        Item("platelet count ≥100 × 10^9/L and hemoglobin ≥9.0 g/dL;"),
        Item("total bilirubin ≤1.5 × ULN (≤3 × ULN for participants with Gilbert's syndrome);"),
        Item("AST and ALT ≤2.5 × ULN, or ≤5 × ULN in participants with liver metastases;"),
        Item("creatinine clearance ≥50 mL/min calculated with the Cockcroft-Gault formula."),
    ),
)
BMI = Item("Body mass index (BMI) within the range 18.0 to 35.0 kg/m2 (inclusive) and body weight ≥50 kg.")
HBA1C = Item("Glycated hemoglobin (HbA1c) between 7.0% and 10.5% (inclusive) at screening.")
METFORMIN = Item(
    "Treated with a stable dose of metformin (≥1500 mg/day or the maximum tolerated dose) for at least 90 days "
    "before screening, with no other glucose-lowering medication during that period."
)
CONTRACEPTION = Item(
    "Male or female. Contraceptive use by men or women should be consistent with local regulations regarding "
    "the methods of contraception for those participating in clinical studies.",
    sub=(
        Item(
            "Male participants must agree to use a condom during the intervention period and for at least "
            "90 days after the last dose of study intervention."
        ),
        Item(
            "Female participants are eligible if they are not pregnant or breastfeeding and one of the following applies:",
            sub=(
                Item("is not a woman of childbearing potential (WOCBP), or"),
                Item(
                    "is a WOCBP who uses a highly effective contraceptive method (failure rate <1% per year) "
                    "and has a negative serum pregnancy test within 72 hours before the first dose."
                ),
            ),
        ),
    ),
)
CONSENT = Item(
    "Capable of giving signed informed consent, which includes compliance with the requirements and restrictions "
    "listed in the informed consent form (ICF) and in this protocol."
)
LIFE = Item("Life expectancy of at least 12 weeks.")
COMPLY = Item(
    "Willing and able to comply with scheduled visits, the treatment plan, laboratory tests and other study "
    "procedures, including completion of the electronic diary."
)

HYPERSENSITIVITY = Item(
    "History of severe hypersensitivity reaction to any monoclonal antibody or to any excipient of the study "
    "intervention."
)
CNS = Item(
    "Symptomatic central nervous system (CNS) metastases or leptomeningeal disease. Participants with treated "
    "brain metastases that have been clinically stable for ≥4 weeks without steroids are eligible."
)
MALIGNANCY = Item(
    "Any other malignancy within 5 years before screening, except:",
    sub=(
        Item("adequately treated basal cell or squamous cell carcinoma of the skin;"),
        Item("carcinoma in situ of the cervix or ductal carcinoma in situ of the breast;"),
        Item("localized prostate cancer under active surveillance."),
    ),
)
INFECTION = Item("Active infection requiring systemic therapy within 14 days before the first dose.")
HIV = Item(
    "Known human immunodeficiency virus (HIV) infection, or active hepatitis B (HBsAg positive) or hepatitis C "
    "(detectable HCV RNA)."
)
QTC = Item("Mean resting QTcF >470 msec from triplicate ECGs at screening, or congenital long QT syndrome.")
CARDIAC = Item(
    "Myocardial infarction, unstable angina, coronary revascularization, stroke or transient ischemic attack "
    "within 6 months before randomization."
)
HYPERTENSION = Item(
    "Uncontrolled hypertension (systolic blood pressure ≥160 mmHg or diastolic blood pressure ≥100 mmHg) "
    "despite optimal medical management."
)
PRIOR_IO = Item("Prior treatment with an anti-PD-1, anti-PD-L1 or anti-CTLA-4 antibody.")
STEROIDS = Item(
    "Systemic corticosteroids (>10 mg daily prednisone equivalent) or other immunosuppressive medication within "
    "14 days before the first dose; inhaled or topical steroids are permitted."
)
VACCINE = Item("Receipt of a live attenuated vaccine within 30 days before the first dose of study intervention.")
OTHER_STUDY = Item(
    "Participation in another interventional clinical study within 30 days or 5 half-lives, whichever is longer, "
    "before screening."
)
EGFR = Item("Estimated glomerular filtration rate (eGFR) <30 mL/min/1.73 m2 (CKD-EPI equation) at screening.")
PREGNANT = Item("Pregnant or breastfeeding, or planning to become pregnant during the study.")
ABUSE = Item(
    "History of alcohol or drug abuse within 12 months before screening, or a positive urine drug screen that is "
    "not explained by a prescribed medication."
)
INVESTIGATOR = Item(
    "Any condition that, in the opinion of the investigator, would interfere with the evaluation of the study "
    "intervention or the interpretation of participant safety or study results."
)
STAFF = Item(
    "Investigator site staff or sponsor employees directly involved in the conduct of the study, and their "
    "family members."
)

INCLUSION = (AGE, DIAGNOSIS, MEASURABLE, ECOG, ORGAN, BMI, CONTRACEPTION, LIFE, CONSENT, COMPLY)
EXCLUSION = (
    HYPERSENSITIVITY,
    CNS,
    MALIGNANCY,
    INFECTION,
    HIV,
    QTC,
    CARDIAC,
    HYPERTENSION,
    PRIOR_IO,
    STEROIDS,
    VACCINE,
    OTHER_STUDY,
    EGFR,
    PREGNANT,
    ABUSE,
    INVESTIGATOR,
    STAFF,
)

# CPT groups (TransCelerate Common Protocol Template sub-headings).
CPT_INCLUSION: tuple[Item | SubHeading, ...] = (
    SubHeading("Age"),
    AGE,
    SubHeading("Type of Participant and Disease Characteristics"),
    DIAGNOSIS,
    MEASURABLE,
    ECOG,
    ORGAN,
    LIFE,
    SubHeading("Weight"),
    BMI,
    SubHeading("Sex and Contraceptive/Barrier Requirements"),
    CONTRACEPTION,
    SubHeading("Informed Consent"),
    CONSENT,
)
CPT_EXCLUSION: tuple[Item | SubHeading, ...] = (
    SubHeading("Medical Conditions"),
    HYPERSENSITIVITY,
    CNS,
    MALIGNANCY,
    INFECTION,
    HIV,
    CARDIAC,
    HYPERTENSION,
    SubHeading("Prior/Concomitant Therapy"),
    PRIOR_IO,
    STEROIDS,
    VACCINE,
    SubHeading("Prior/Concurrent Clinical Study Experience"),
    OTHER_STUDY,
    SubHeading("Diagnostic Assessments"),
    QTC,
    EGFR,
    SubHeading("Other Exclusions"),
    PREGNANT,
    ABUSE,
    STAFF,
)


def _short(item: Item, words: int = 8) -> Item:
    """The abbreviated form a synopsis prints."""
    return Item(" ".join(item.text.split()[:words]).rstrip(",;:") + ".")


# ---------------------------------------------------------------------------------------------
# Protocol skeletons
# ---------------------------------------------------------------------------------------------


def _h(number: str | None, title: str, fmt: str = "{num}. {title}") -> Heading:
    if number is None:
        return Heading(title, level=1)
    return Heading(fmt.format(num=number, title=title), level=number.count(".") + 1)


def _chapters(
    specs: Sequence[tuple[str | None, str, int]], fmt: str = "{num}. {title}", seed: int = 0
) -> tuple[Block, ...]:
    """Headings each followed by ``n`` filler paragraphs."""
    out: list[Block] = []
    for k, (number, title, paragraphs) in enumerate(specs):
        out.append(_h(number, title, fmt))
        out.extend(filler(paragraphs, seed=seed + k))
    return tuple(out)


def _objectives_table() -> KeyValueTable:
    return KeyValueTable(
        rows=(
            ("Primary", "To evaluate the efficacy of the study intervention compared with placebo."),
            ("Secondary", "To evaluate the safety and tolerability of the study intervention."),
        )
    )


ORGAN_TABLE = Item(
    "Adequate organ and bone marrow function, as defined by the following laboratory values at screening:",
    table=(
        ("Laboratory test", "Required value"),
        ("Absolute neutrophil count", "≥1.5 × 10^9/L"),
        ("Platelet count", "≥100 × 10^9/L"),
        ("Hemoglobin", "≥9.0 g/dL"),
        ("Total bilirubin", "≤1.5 × ULN"),
        ("AST and ALT", "≤2.5 × ULN (≤5 × ULN with liver metastases)"),
    ),
)
CNS_NOTE = Item(
    "Symptomatic central nervous system (CNS) metastases or leptomeningeal disease.",
    note="Note: Participants with treated brain metastases that have been clinically stable for ≥4 weeks "
    "without steroids are eligible.",
)
HIV_NOTE = Item(
    "Known human immunodeficiency virus (HIV) infection, or active hepatitis B (HBsAg positive) or hepatitis C.",
    note="NOTE: Participants with a history of hepatitis C who have an undetectable HCV RNA at screening after "
    "curative therapy may be enrolled.",
)


def _amendment_front() -> tuple[Block, ...]:
    """Front matter of a sponsor protocol: amendment summary and abbreviations, both citing the criteria."""
    return (
        Heading("PROTOCOL AMENDMENT SUMMARY OF CHANGES TABLE", toc=False),
        Para("Amendment 2 (14 March 2023). This amendment is considered to be substantial."),
        KeyValueTable(
            rows=(
                ("Section # and Name", "Description of Change"),
                ("1.1 Synopsis", "Updated the population description to match Section 5."),
                ("5.1 Inclusion Criteria", "Inclusion criterion 4 revised to allow ECOG performance status 0 or 1."),
                ("5.2 Exclusion Criteria", "Exclusion criterion 9 added: prior anti-PD-1 therapy is excluded."),
                ("10.2 Appendix 2", "Added coagulation tests to the laboratory panel."),
            ),
            label_width=2.0 * 72,
        ),
        NewPage(),
        Heading("LIST OF ABBREVIATIONS", toc=False),
        KeyValueTable(
            rows=(
                ("AE", "adverse event"),
                ("ALT", "alanine aminotransferase"),
                ("AST", "aspartate aminotransferase"),
                ("CNS", "central nervous system"),
                ("ECOG", "Eastern Cooperative Oncology Group"),
                ("ICF", "informed consent form"),
                ("NSCLC", "non-small cell lung cancer"),
                ("ULN", "upper limit of normal"),
                ("WOCBP", "woman of childbearing potential"),
            ),
            label_width=1.0 * 72,
        ),
    )


def cpt(
    *,
    continuing: bool = False,
    colon_subheadings: bool = False,
    front_matter: bool = False,
    separate_markers: bool = False,
    notes_and_tables: bool = False,
) -> Protocol:
    """TransCelerate CPT: grouped criteria under sub-headings, "5.1." headings, a table of contents."""

    swaps = {ORGAN: ORGAN_TABLE, CNS: CNS_NOTE, HIV: HIV_NOTE} if notes_and_tables else {}

    def groups(entries: tuple[Item | SubHeading, ...]) -> tuple[Item | SubHeading, ...]:
        entries = tuple(swaps.get(e, e) if isinstance(e, Item) else e for e in entries)
        if not colon_subheadings:
            return entries
        return tuple(SubHeading(e.text + ":") if isinstance(e, SubHeading) else e for e in entries)

    n_inclusion = sum(isinstance(e, Item) for e in CPT_INCLUSION)
    blocks: tuple[Block, ...] = (
        _h("1", "PROTOCOL SUMMARY"),
        _h("1.1", "Synopsis"),
        Para(
            "Protocol Title: A Phase 2, Randomized, Double-blind, Placebo-controlled Study to Evaluate the "
            "Efficacy and Safety of Zelatinib in Adults With Advanced Non-small Cell Lung Cancer"
        ),
        Para("Short Title: Zelatinib in advanced NSCLC"),
        Para(
            "Rationale: Zelatinib is a selective inhibitor of the XYZ kinase. This study will assess whether "
            "adding zelatinib to standard therapy improves progression-free survival."
        ),
        *filler(3, seed=1),
        _h("1.2", "Schema"),
        *filler(1, seed=2),
        _h("1.3", "Schedule of Activities (SoA)"),
        *filler(2, seed=3),
        NewPage(),
        *_chapters(
            [
                ("2", "INTRODUCTION", 1),
                ("2.1", "Study Rationale", 2),
                ("2.2", "Background", 4),
                ("2.3", "Benefit/Risk Assessment", 2),
                ("3", "OBJECTIVES AND ENDPOINTS", 0),
            ]
        ),
        _objectives_table(),
        *_chapters(
            [
                ("4", "STUDY DESIGN", 0),
                ("4.1", "Overall Design", 3),
                ("4.2", "Scientific Rationale for Study Design", 2),
                ("4.3", "Justification for Dose", 2),
                ("4.4", "End of Study Definition", 1),
            ],
            seed=4,
        ),
        _h("5", "STUDY POPULATION"),
        Para(
            "Prospective approval of protocol deviations to recruitment and enrollment criteria, also known as "
            "protocol waivers or exemptions, is not permitted."
        ),
        _h("5.1", "Inclusion Criteria"),
        CriteriaList(
            "inclusion",
            groups(CPT_INCLUSION),
            intro="Participants are eligible to be included in the study only if all of the following criteria apply:",
        ),
        _h("5.2", "Exclusion Criteria"),
        CriteriaList(
            "exclusion",
            groups(CPT_EXCLUSION),
            start=n_inclusion + 1 if continuing else 1,
            intro="Participants are excluded from the study if any of the following criteria apply:",
        ),
        _h("5.3", "Lifestyle Considerations"),
        _h("5.3.1", "Meals and Dietary Restrictions"),
        CriteriaList(
            "inclusion",
            (
                Item("Refrain from consumption of grapefruit or grapefruit juice from 7 days before the first dose."),
                Item("Abstain from alcohol for 24 hours before each study visit."),
            ),
            markers=("•",),
            reference=False,
        ),
        _h("5.4", "Screen Failures"),
        Para(
            "Screen failures are defined as participants who consent to participate in the clinical study but are "
            "not subsequently randomly assigned to study intervention. Individuals who do not meet the criteria for "
            "participation in this study may be rescreened once."
        ),
        *_chapters(
            [
                ("6", "STUDY INTERVENTION(S) AND CONCOMITANT THERAPY", 1),
                ("6.1", "Study Intervention(s) Administered", 3),
                ("6.2", "Preparation/Handling/Storage/Accountability", 2),
                ("7", "DISCONTINUATION OF STUDY INTERVENTION AND PARTICIPANT DISCONTINUATION/WITHDRAWAL", 2),
                ("8", "STUDY ASSESSMENTS AND PROCEDURES", 3),
                ("9", "STATISTICAL CONSIDERATIONS", 3),
                ("10", "SUPPORTING DOCUMENTATION AND OPERATIONAL CONSIDERATIONS", 0),
                ("10.1", "Appendix 1: Regulatory, Ethical, and Study Oversight Considerations", 3),
                ("10.2", "Appendix 2: Clinical Laboratory Tests", 2),
            ],
            seed=6,
        ),
    )
    return Protocol(
        title="A Phase 2, Randomized, Double-blind, Placebo-controlled Study to Evaluate the Efficacy and Safety "
        "of Zelatinib in Adults With Advanced Non-small Cell Lung Cancer",
        protocol_id="ZLT-201",
        sponsor="Example Pharma Inc.",
        blocks=blocks,
        header_left="Zelatinib",
        header_right="Protocol ZLT-201 Amendment 2",
        footer_left="CONFIDENTIAL",
        footer_center="",
        footer_right="Page {page}",
        front=_amendment_front() if front_matter else (),
        first_numbered_page=5 if front_matter else 1,
        separate_markers=separate_markers,
    )


def plain_numbered(*, note_after: bool = True) -> Protocol:
    """Sponsor style: "5.1 Inclusion criteria", "1."/"2." items, nested "a)" and "•", one item over a page break."""
    inclusion = (AGE, DIAGNOSIS, MEASURABLE, ECOG, ORGAN, HBA1C, METFORMIN, CONTRACEPTION, CONSENT)
    blocks: list[Block] = [
        *_chapters(
            [
                ("1", "Introduction", 2),
                ("1.1", "Background", 5),
                ("1.2", "Purpose", 2),
                ("2", "Objectives and endpoints", 2),
                ("3", "Study design", 3),
                ("4", "Rationale", 2),
                ("4.1", "Rationale for study design", 3),
                ("4.2", "Rationale for dose/regimen and duration of treatment", 3),
                ("5", "Study Population", 1),
            ],
            fmt="{num} {title}",
            seed=2,
        ),
        Heading("5.1 Inclusion criteria", level=2),
        CriteriaList(
            "inclusion",
            inclusion,
            markers=("{n}.", "{a})", "•"),
            intro="Patients eligible for inclusion in this study must meet all of the following criteria:",
        ),
        Heading("5.2 Exclusion criteria", level=2),
        CriteriaList(
            "exclusion",
            EXCLUSION,
            markers=("{n}.", "{a})", "•"),
            intro="Patients meeting any of the following criteria are not eligible for inclusion in this study.",
        ),
    ]
    if note_after:
        blocks.append(
            Para(
                "Note: No additional exclusions may be applied by the investigator, in order to ensure that the "
                "study population will be representative of all eligible patients."
            )
        )
    blocks.extend(
        _chapters(
            [
                ("6", "Treatment", 1),
                ("6.1", "Study treatment", 3),
                ("6.2", "Other treatment(s)", 2),
                ("7", "Informed consent procedures", 2),
                ("8", "Visit schedule and assessments", 4),
                ("9", "Data analysis and statistical methods", 3),
            ],
            fmt="{num} {title}",
            seed=5,
        )
    )
    return Protocol(
        title="A randomized, open-label, multicenter phase III study of drug ABC123 versus investigator's choice "
        "in patients with advanced solid tumors",
        protocol_id="CABC123A2301",
        sponsor="Sponsor AG",
        blocks=tuple(blocks),
        header_left="Novartis",
        header_right="Confidential Page {page}",
        footer_center="Amended Protocol Version 02 (Clean) Protocol No. CABC123A2301",
        footer_first=True,
        page_size="A4",
        toc_title="Table of contents",
    )


def bullets(*, top: str = "•", nested: str = "o", separate_markers: bool = False) -> Protocol:
    """Roche-like: bullet-only criteria with nested bullets, "4.1.1 Inclusion Criteria"."""
    return Protocol(
        title="A Phase III, Multicenter, Randomized, Double-Blind Study of RO1234567 Plus Chemotherapy Compared "
        "With Placebo Plus Chemotherapy in Patients With Untreated Extensive-Stage Small Cell Lung Cancer",
        protocol_id="GO12345",
        sponsor="F. Hoffmann-La Roche Ltd",
        blocks=(
            *_chapters(
                [
                    ("1", "BACKGROUND", 1),
                    ("1.1", "Background on Small Cell Lung Cancer", 4),
                    ("1.2", "Study Rationale and Benefit-Risk Assessment", 3),
                    ("2", "OBJECTIVES AND ENDPOINTS", 2),
                    ("3", "STUDY DESIGN", 0),
                    ("3.1", "Description of the Study", 4),
                    ("3.2", "End of Study and Length of Study", 1),
                    ("4", "MATERIALS AND METHODS", 0),
                    ("4.1", "PATIENTS", 1),
                ],
                fmt="{num} {title}",
                seed=3,
            ),
            Heading("4.1.1 Inclusion Criteria", level=3),
            CriteriaList(
                "inclusion",
                INCLUSION,
                markers=(top, nested, "-"),
                intro="Patients must meet the following criteria for study entry:",
            ),
            Heading("4.1.2 Exclusion Criteria", level=3),
            CriteriaList(
                "exclusion",
                EXCLUSION,
                markers=(top, nested, "-"),
                intro="Patients who meet any of the following criteria will be excluded from study entry:",
            ),
            *_chapters(
                [
                    ("4.2", "METHOD OF TREATMENT ASSIGNMENT AND BLINDING", 2),
                    ("4.3", "STUDY TREATMENT AND OTHER TREATMENTS RELEVANT TO THE STUDY DESIGN", 3),
                    ("5", "ASSESSMENT OF SAFETY", 3),
                    ("6", "STATISTICAL CONSIDERATIONS AND ANALYSIS PLAN", 3),
                ],
                fmt="{num} {title}",
                seed=7,
            ),
        ),
        header_left="RO1234567—F. Hoffmann-La Roche Ltd",
        header_right="",
        footer_left="Protocol GO12345, Version 3",
        footer_center="",
        footer_right="{page}/{pages}",
        separate_markers=separate_markers,
    )


def academic_caps() -> Protocol:
    """Investigator-initiated: unnumbered headings in capitals, no table of contents, round bullets."""
    return Protocol(
        title="Early Mobilisation After Hip Fracture Surgery in Older Adults: A Pragmatic Randomised Trial",
        protocol_id="EMHIP-2",
        sponsor="University Hospital Research Office",
        toc=False,
        blocks=(
            Heading("BACKGROUND AND RATIONALE"),
            *filler(5, seed=1),
            Heading("STUDY OBJECTIVES"),
            *filler(2, seed=2),
            Heading("STUDY DESIGN"),
            *filler(3, seed=3),
            Heading("STUDY POPULATION"),
            Para(
                "Patients will be recruited from the orthopaedic wards of the three participating hospitals. "
                "Screening logs will record the reasons for non-enrolment."
            ),
            Heading("INCLUSION CRITERIA", level=2),
            CriteriaList("inclusion", (AGE, BMI, HBA1C, ECOG, CONSENT, COMPLY), markers=("●", "○")),
            Heading("EXCLUSION CRITERIA", level=2),
            CriteriaList(
                "exclusion", (CNS, MALIGNANCY, INFECTION, CARDIAC, HYPERTENSION, EGFR, PREGNANT), markers=("●", "-")
            ),
            Heading("STUDY PROCEDURES"),
            *filler(4, seed=4),
            Heading("STATISTICAL ANALYSIS"),
            *filler(3, seed=5),
        ),
        header_left="EMHIP-2 protocol",
        header_right="Version 3.0, 14 June 2022",
        footer_center="Page {page} of {pages}",
    )


def inline_labels(*, numbered: bool = True, exclusion_label: str = "Exclusion criteria:") -> Protocol:
    """Academic: "Inclusion criteria:" / "Exclusion criteria:" labels inside a "Study Population" section."""
    fmt = "{num}. {title}" if numbered else "{title}"

    def h(number: str, title: str) -> Heading:
        return Heading(fmt.format(num=number, title=title), level=number.count(".") + 1, toc=False)

    return Protocol(
        title="Vitamin D Supplementation for the Prevention of Falls in Nursing Home Residents (VIDFALL)",
        protocol_id="VIDFALL-01",
        sponsor="Department of Geriatrics, University Medical Centre",
        toc=False,
        blocks=(
            h("1", "Background"),
            *filler(4, seed=2),
            h("2", "Aims"),
            *filler(1, seed=3),
            h("3", "Methods"),
            h("3.1", "Design"),
            *filler(2, seed=4),
            h("3.2", "Study population"),
            Para(
                "Residents of 24 nursing homes in the region will be approached by the research nurses. All "
                "residents who meet the criteria below will be invited to participate."
            ),
            Label("Inclusion criteria:"),
            CriteriaList("inclusion", (AGE, BMI, LIFE, CONSENT, COMPLY), markers=("{n})", "{a})")),
            Label(exclusion_label),
            CriteriaList(
                "exclusion", (HYPERSENSITIVITY, CARDIAC, EGFR, OTHER_STUDY, ABUSE, INVESTIGATOR), markers=("{n})",)
            ),
            h("3.3", "Interventions"),
            *filler(3, seed=5),
            h("3.4", "Outcomes"),
            *filler(2, seed=6),
            h("4", "Statistics"),
            *filler(3, seed=7),
        ),
        header_left="VIDFALL study protocol",
        header_right="v2.1",
        footer_center="{page}",
    )


def prefixed_labels(*, inclusion_fmt: str = "IN{n:02d}", exclusion_fmt: str = "EX{n:02d}") -> Protocol:
    """IN01/EX01 (or I1/E1) labels, headings "4.1"/"4.1.1", eligibility under "Selection of Study Population"."""
    return Protocol(
        title="A Phase 1b/2 Open-label Study of ABX-77 in Participants With Moderate to Severe Atopic Dermatitis",
        protocol_id="ABX77-102",
        sponsor="Abx Therapeutics",
        blocks=(
            *_chapters(
                [
                    ("1", "INTRODUCTION", 3),
                    ("2", "STUDY OBJECTIVES", 2),
                    ("3", "INVESTIGATIONAL PLAN", 0),
                    ("3.1", "Overall Study Design", 3),
                    ("3.2", "Discussion of Study Design", 2),
                    ("4", "SELECTION OF STUDY POPULATION", 0),
                ],
                fmt="{num} {title}",
                seed=8,
            ),
            Para("Approximately 120 participants will be enrolled at 25 sites."),
            Heading("4.1 Inclusion Criteria", level=2),
            Para("Each participant must meet all of the following criteria to be enrolled in this study:"),
            CriteriaList(
                "inclusion",
                (AGE, BMI, HBA1C, CONTRACEPTION, LIFE, CONSENT),
                markers=(inclusion_fmt, "{a}.", "{i}."),
            ),
            Heading("4.2 Exclusion Criteria", level=2),
            Para("Participants who meet any of the following criteria will be excluded from the study:"),
            CriteriaList(
                "exclusion",
                (HYPERSENSITIVITY, MALIGNANCY, HIV, QTC, STEROIDS, VACCINE, OTHER_STUDY, PREGNANT, STAFF),
                markers=(exclusion_fmt, "{a}."),
            ),
            *_chapters(
                [
                    ("4.3", "Removal of Participants From Therapy or Assessment", 2),
                    ("4.3.1", "Reasons for Withdrawal", 2),
                    ("5", "STUDY TREATMENTS", 3),
                    ("6", "STUDY ASSESSMENTS", 3),
                ],
                fmt="{num} {title}",
                seed=9,
            ),
        ),
        header_left="ABX-77",
        header_right="Protocol ABX77-102 Version 4.0",
        footer_center="Confidential - Page {page} of {pages}",
    )


def section_word() -> Protocol:
    """Headings printed as "SECTION 6" / "Section 6.2 Exclusion Criteria", eligibility under "Patient Selection"."""
    blocks: list[Block] = []
    for number, title, paragraphs in (
        ("1", "INTRODUCTION", 3),
        ("2", "OBJECTIVES", 2),
        ("3", "STUDY DESIGN", 3),
        ("4", "PATIENT SELECTION", 0),
    ):
        blocks.append(Heading(f"SECTION {number} {title}" if "." not in number else f"Section {number} {title}"))
        blocks.extend(filler(paragraphs, seed=int(number)))
    blocks.extend(
        (
            Heading("Section 4.1 Inclusion Criteria", level=2),
            CriteriaList(
                "inclusion",
                (AGE, DIAGNOSIS, MEASURABLE, ECOG, ORGAN, CONSENT),
                markers=("I{n}.", "{a}."),
                intro="A patient will be eligible for inclusion in this study only if all of the following criteria are met:",
            ),
            Heading("Section 4.2 Exclusion Criteria", level=2),
            CriteriaList(
                "exclusion",
                (CNS, MALIGNANCY, INFECTION, HIV, QTC, CARDIAC, PRIOR_IO, STEROIDS, PREGNANT),
                markers=("E{n}.", "{a}."),
                intro="A patient will be excluded from this study if any of the following criteria are met:",
            ),
            Heading("SECTION 5 TREATMENT PLAN"),
            *filler(3, seed=10),
            Heading("SECTION 6 STUDY CALENDAR"),
            *filler(2, seed=11),
        )
    )
    return Protocol(
        title="Phase II Trial of Drug Q Combined With Radiotherapy for Recurrent Glioblastoma",
        protocol_id="CC-2021-118",
        sponsor="Comprehensive Cancer Center",
        blocks=tuple(blocks),
        header_left="CC-2021-118",
        header_right="Version date: 03/15/2023",
        footer_center="Page {page} of {pages}",
    )


def nci() -> Protocol:
    """NCI CTEP template: criteria numbered as sub-sections ("5.1.1", "5.2.3") under "5.1 Eligibility Criteria"."""
    organ = Item(
        "Patients must have adequate organ and marrow function as defined below:",
        table=(
            ("absolute neutrophil count", "≥1,500/mcL"),
            ("platelets", "≥100,000/mcL"),
            ("total bilirubin", "≤ institutional upper limit of normal (ULN)"),
            ("AST(SGOT)/ALT(SGPT)", "≤3 × institutional ULN"),
            ("glomerular filtration rate (GFR)", "≥60 mL/min/1.73 m2"),
        ),
    )
    inclusion = (
        Item(
            "Patients must have histologically or cytologically confirmed metastatic colorectal adenocarcinoma "
            "that is not amenable to curative resection."
        ),
        Item(
            "Patients must have measurable disease, defined as at least one lesion that can be accurately measured "
            "in at least one dimension as ≥20 mm (≥2 cm) with conventional techniques or as ≥10 mm (≥1 cm) with "
            "CT scan, MRI, or calipers by clinical exam."
        ),
        Item("Age ≥18 years. Because no dosing or adverse event data are currently available, children are excluded."),
        Item("ECOG performance status ≤2 (Karnofsky ≥60%)."),
        organ,
        Item(
            "The effects of the study agent on the developing human fetus are unknown. For this reason, women of "
            "child-bearing potential and men must agree to use adequate contraception prior to study entry and for "
            "the duration of study participation."
        ),
        Item("Ability to understand and the willingness to sign a written informed consent document."),
    )
    exclusion = (
        Item(
            "Patients who have had chemotherapy or radiotherapy within 4 weeks (6 weeks for nitrosoureas or "
            "mitomycin C) prior to entering the study."
        ),
        Item("Patients who are receiving any other investigational agents."),
        Item("Patients with known brain metastases should be excluded from this clinical trial."),
        Item(
            "History of allergic reactions attributed to compounds of similar chemical or biologic composition to "
            "the study agent."
        ),
        Item(
            "Uncontrolled intercurrent illness including, but not limited to, ongoing or active infection, "
            "symptomatic congestive heart failure, unstable angina pectoris, or cardiac arrhythmia."
        ),
        Item("Pregnant women are excluded from this study because the study agent has unknown teratogenic effects."),
    )
    return Protocol(
        title="A Phase 2 Study of Agent X in Patients With Refractory Metastatic Colorectal Cancer",
        protocol_id="NCI-2023-01234",
        sponsor="Division of Cancer Treatment and Diagnosis, National Cancer Institute",
        blocks=(
            *_chapters(
                [
                    ("1", "OBJECTIVES", 0),
                    ("1.1", "Primary Objectives", 1),
                    ("1.2", "Secondary Objectives", 1),
                    ("2", "BACKGROUND", 0),
                    ("2.1", "Study Disease", 3),
                    ("2.2", "CTEP IND Agent", 3),
                    ("2.3", "Rationale", 2),
                    ("3", "STUDY DESIGN", 2),
                    ("4", "REGISTRATION PROCEDURES", 2),
                    ("5", "PATIENT SELECTION", 0),
                ],
                seed=4,
            ),
            Heading("5.1 Eligibility Criteria", level=2),
            CriteriaList("inclusion", inclusion, markers=("5.1.{n}", "")),
            Heading("5.2 Exclusion Criteria", level=2),
            CriteriaList("exclusion", exclusion, markers=("5.2.{n}",)),
            Heading("5.3 Inclusion of Women and Minorities", level=2),
            *filler(2, seed=12),
            *_chapters([("6", "TREATMENT PLAN", 0), ("6.1", "Agent Administration", 3)], seed=13),
        ),
        header_left="NCI Protocol #: NCI-2023-01234",
        header_right="Version Date: 05/02/2023",
        footer_center="{page}",
    )


def synopsis_repeats(*, as_table: bool = True, full_copy: bool = False, colon: bool = True) -> Protocol:
    """A synopsis (table or text) that already lists the criteria before the full section."""
    inclusion = (AGE, DIAGNOSIS, MEASURABLE, ECOG, ORGAN, CONTRACEPTION, CONSENT)
    exclusion = (CNS, MALIGNANCY, INFECTION, HIV, QTC, CARDIAC, HYPERTENSION, PRIOR_IO, STEROIDS, PREGNANT)
    if full_copy:
        key_inclusion = CriteriaList("inclusion", inclusion, markers=("{n}.", "{a}.", "{i}."), reference=False)
        key_exclusion = CriteriaList("exclusion", exclusion, markers=("{n}.", "{a}."), reference=False)
    else:
        key_inclusion = CriteriaList(
            "inclusion", tuple(_short(i) for i in inclusion[:5]), markers=("•",), reference=False
        )
        key_exclusion = CriteriaList(
            "exclusion", tuple(_short(i) for i in exclusion[:6]), markers=("•",), reference=False
        )
    synopsis: tuple[Block, ...]
    if as_table:
        synopsis = (
            KeyValueTable(
                rows=(
                    ("Title", "A Phase 3 Study of Drug M in Adults With Advanced NSCLC"),
                    ("Phase", "Phase 3"),
                    ("Study design", "Randomized, double-blind, placebo-controlled, multicenter study."),
                    ("Population", "Adults with previously untreated advanced NSCLC."),
                    ("Key inclusion criteria", (key_inclusion,)),
                    ("Key exclusion criteria", (key_exclusion,)),
                    ("Planned number of participants", "Approximately 600 participants will be randomized."),
                )
            ),
        )
    else:
        synopsis = (
            Para("Study design: Randomized, double-blind, placebo-controlled, multicenter study."),
            Label("Inclusion Criteria:" if colon else "Inclusion Criteria"),
            key_inclusion,
            Label("Exclusion Criteria:" if colon else "Exclusion Criteria"),
            key_exclusion,
            Para("Planned number of participants: approximately 600."),
        )
    return Protocol(
        title="A Phase 3, Randomized, Double-blind Study of Drug M Plus Chemotherapy Versus Placebo Plus "
        "Chemotherapy in Adults With Advanced Non-small Cell Lung Cancer",
        protocol_id="DM-301",
        sponsor="Pharma M Ltd",
        blocks=(
            Heading("PROTOCOL SYNOPSIS"),
            *synopsis,
            NewPage(),
            *_chapters(
                [
                    ("1", "INTRODUCTION", 4),
                    ("2", "STUDY OBJECTIVES AND ENDPOINTS", 2),
                    ("3", "STUDY DESIGN", 0),
                    ("3.1", "Overall Study Design", 3),
                    ("4", "STUDY POPULATION", 1),
                ],
                fmt="{num} {title}",
                seed=14,
            ),
            Heading("4.1 Inclusion Criteria", level=2),
            CriteriaList(
                "inclusion",
                inclusion,
                markers=("{n}.", "{a}.", "{i}."),
                intro="Participants are eligible to be included in the study only if all of the following criteria apply:",
            ),
            Heading("4.2 Exclusion Criteria", level=2),
            CriteriaList(
                "exclusion",
                exclusion,
                markers=("{n}.", "{a}."),
                intro="Participants are excluded from the study if any of the following criteria apply:",
            ),
            *_chapters(
                [
                    ("4.3", "Lifestyle Restrictions", 1),
                    ("5", "STUDY TREATMENTS", 3),
                    ("6", "STUDY ASSESSMENTS", 3),
                ],
                fmt="{num} {title}",
                seed=15,
            ),
        ),
        header_left="Drug M",
        header_right="Clinical Study Protocol DM-301",
        footer_center="CONFIDENTIAL AND PROPRIETARY",
        footer_right="{page} of {pages}",
    )


def az_bare_numbers() -> Protocol:
    """AstraZeneca-like CPT variant: bare numbers ("1 Participant must be"), "(a)" sub-items, lower-case headings."""
    return Protocol(
        title="A Phase IIb, Randomised, Double-blind, Placebo-controlled Study to Assess the Efficacy and Safety of "
        "AZD0000 in Participants With Chronic Kidney Disease",
        protocol_id="D1234C00002",
        sponsor="AstraZeneca AB",
        blocks=(
            *_chapters(
                [
                    ("1", "PROTOCOL SUMMARY", 0),
                    ("1.1", "Synopsis", 3),
                    ("1.2", "Schema", 1),
                    ("2", "INTRODUCTION", 3),
                    ("3", "OBJECTIVES AND ENDPOINTS", 2),
                    ("4", "STUDY DESIGN", 0),
                    ("4.1", "Overall design", 3),
                    ("5", "STUDY POPULATION", 1),
                ],
                fmt="{num} {title}",
                seed=16,
            ),
            Heading("5.1 Inclusion criteria", level=2),
            CriteriaList(
                "inclusion",
                (
                    SubHeading("Age"),
                    AGE,
                    SubHeading("Type of participant and disease characteristics"),
                    EGFR_INC,
                    HBA1C,
                    BMI,
                    SubHeading("Sex"),
                    CONTRACEPTION,
                    SubHeading("Informed consent"),
                    CONSENT,
                ),
                markers=("{n}", "({a})", "({i})"),
                intro="Participants are eligible to be included in the study only if all of the following criteria apply:",
            ),
            Heading("5.2 Exclusion criteria", level=2),
            CriteriaList(
                "exclusion",
                (
                    SubHeading("Medical conditions"),
                    CARDIAC,
                    HYPERTENSION,
                    MALIGNANCY,
                    HIV,
                    SubHeading("Prior/concomitant therapy"),
                    STEROIDS,
                    VACCINE,
                    SubHeading("Other exclusions"),
                    PREGNANT,
                    STAFF,
                ),
                markers=("{n}", "({a})"),
                intro="Participants are excluded from the study if any of the following criteria apply:",
            ),
            *_chapters(
                [
                    ("5.3", "Lifestyle considerations", 1),
                    ("5.4", "Screen failures", 1),
                    ("6", "STUDY INTERVENTION", 3),
                ],
                fmt="{num} {title}",
                seed=17,
            ),
        ),
        header_left="Clinical Study Protocol - 2.0",
        header_right="AZD0000 - D1234C00002",
        footer_center="{page}",
    )


EGFR_INC = Item(
    "eGFR ≥25 and ≤75 mL/min/1.73 m2 at screening, and urine albumin-to-creatinine ratio ≥200 mg/g and ≤5000 mg/g."
)


def criteria_table() -> Protocol:
    """Criteria printed as a two-column table: label | criterion."""
    return Protocol(
        title="A Phase 2 Study of Drug T in Adults With Moderate to Severe Plaque Psoriasis",
        protocol_id="DT-PSO-2",
        sponsor="Derm Therapeutics",
        toc=False,
        blocks=(
            *_chapters(
                [
                    ("1", "INTRODUCTION", 3),
                    ("2", "OBJECTIVES", 2),
                    ("3", "STUDY DESIGN", 3),
                    ("4", "STUDY POPULATION", 1),
                ],
                seed=18,
            ),
            Heading("4.1. Inclusion Criteria", level=2),
            CriteriaList(
                "inclusion",
                (AGE, BMI, CONTRACEPTION, LIFE, CONSENT),
                markers=("IN{n:02d}", "{a}.", "{i}."),
                as_table=True,
            ),
            Heading("4.2. Exclusion Criteria", level=2),
            CriteriaList(
                "exclusion",
                (HYPERSENSITIVITY, INFECTION, HIV, QTC, VACCINE, OTHER_STUDY, PREGNANT),
                markers=("EX{n:02d}",),
                as_table=True,
            ),
            *_chapters([("5", "STUDY TREATMENT", 3), ("6", "ASSESSMENTS", 2)], seed=19),
        ),
        header_left="DT-PSO-2",
        header_right="Version 1.0",
        footer_center="Page {page} of {pages}",
    )


def lilly_brackets() -> Protocol:
    """Lilly style: "[1] are ..." lower-case criteria, exclusion numbering continuing, "6.1." headings."""
    inclusion = (
        Item("are at least 18 years of age at the time of screening"),
        Item(
            "have type 2 diabetes for at least 6 months, diagnosed according to the World Health Organization "
            "criteria, and are treated with basal insulin, with or without up to 2 oral antihyperglycemic medications"
        ),
        Item("have an HbA1c value ≥7.0% and ≤10.5% at screening, as determined by the central laboratory"),
        Item(
            "are males, or are females who are not breastfeeding and who meet the following conditions:",
            sub=(
                Item("women not of childbearing potential, or"),
                Item("women of childbearing potential who test negative for pregnancy at screening"),
            ),
        ),
        Item("have a body mass index (BMI) of ≤45 kg/m2"),
        Item("have given written informed consent to participate in this study in accordance with local regulations"),
    )
    exclusion = (
        Item("have type 1 diabetes mellitus or latent autoimmune diabetes in adults"),
        Item(
            "have had more than 1 episode of severe hypoglycemia, as defined by the American Diabetes Association, "
            "within 6 months before screening"
        ),
        Item("have an estimated glomerular filtration rate <30 mL/min/1.73 m2"),
        Item("have a history of acute or chronic pancreatitis"),
        Item(
            "are currently enrolled in any other clinical study involving an investigational product or any other "
            "type of medical research judged not to be scientifically or medically compatible with this study"
        ),
        Item("are Lilly employees or employees of the third-party organization involved in the study"),
    )
    return Protocol(
        title="A Randomized, Open-Label Study Comparing Insulin X to Insulin Glargine in Patients With Type 2 "
        "Diabetes Mellitus Previously Treated With Basal Insulin",
        protocol_id="I8H-MC-BDCX",
        sponsor="Eli Lilly and Company",
        blocks=(
            *_chapters(
                [
                    ("1", "Synopsis", 3),
                    ("2", "Schedule of Activities", 2),
                    ("3", "Introduction", 3),
                    ("4", "Objectives and Endpoints", 2),
                    ("5", "Study Design", 0),
                    ("5.1", "Overall Design", 3),
                    ("6", "Study Population", 0),
                ],
                seed=25,
            ),
            Para(
                "Prospective approval of protocol deviations to recruitment and enrollment criteria is not permitted."
            ),
            Heading("6.1. Inclusion Criteria", level=2),
            CriteriaList(
                "inclusion",
                inclusion,
                markers=("[{n}]", "{a}."),
                intro="Patients are eligible to be included in the study only if they meet all of the following "
                "criteria at screening:",
            ),
            Heading("6.2. Exclusion Criteria", level=2),
            CriteriaList(
                "exclusion",
                exclusion,
                markers=("[{n}]",),
                start=len(inclusion) + 1,
                intro="Patients will be excluded from study enrollment if they meet any of the following criteria at "
                "screening:",
            ),
            *_chapters(
                [
                    ("6.3", "Lifestyle Restrictions", 1),
                    ("6.4", "Screen Failures", 1),
                    ("7", "Treatments", 3),
                ],
                seed=26,
            ),
        ),
        header_left="I8H-MC-BDCX Clinical Protocol",
        header_right="Page {page}",
        footer_center="LY123456",
        bookmarks="numbered",
    )


def letters_top_level() -> Protocol:
    """Criteria lettered "a." to "j." (the ninth is "i.", a letter, not a roman one) with nested "i."/"ii."."""
    return Protocol(
        title="A Pilot Study of Home-based Exercise in Survivors of Childhood Leukaemia",
        protocol_id="HBE-01",
        sponsor="Children's Research Institute",
        toc=False,
        blocks=(
            *_chapters(
                [("1", "Background", 3), ("2", "Study Design", 2), ("3", "Eligibility Criteria", 0)],
                fmt="{num}. {title}",
                seed=27,
            ),
            Heading("3.1. Inclusion Criteria", level=2),
            CriteriaList(
                "inclusion",
                (AGE, DIAGNOSIS, MEASURABLE, ECOG, CONTRACEPTION, BMI, HBA1C, METFORMIN, LIFE, CONSENT),
                markers=("{a}.", "{i}.", "-"),
            ),
            Heading("3.2. Exclusion Criteria", level=2),
            CriteriaList("exclusion", (CNS, MALIGNANCY, INFECTION, HIV, QTC, CARDIAC), markers=("{a}.", "{i}.")),
            *_chapters([("4", "Study Procedures", 3), ("5", "Statistics", 2)], fmt="{num}. {title}", seed=28),
        ),
        header_left="HBE-01",
        header_right="Version 1.2",
        footer_center="Page {page} of {pages}",
        justify=True,
    )


def journal_two_columns() -> Protocol:
    """A protocol laid out like a journal article: two columns, "Eligibility criteria" with bulleted lists."""
    return Protocol(
        title="Effect of a Nurse-led Telemonitoring Programme on Readmissions in Heart Failure: Protocol for a "
        "Randomised Controlled Trial",
        protocol_id="TELE-HF",
        sponsor="University Heart Centre",
        toc=False,
        columns=2,
        font_size=9.5,
        blocks=(
            Heading("INTRODUCTION"),
            *filler(4, seed=20),
            Heading("METHODS AND ANALYSIS"),
            Heading("Study design", level=2),
            *filler(2, seed=21),
            Heading("Eligibility criteria", level=2),
            Para("Patients admitted with decompensated heart failure will be screened by the study nurses."),
            Label("Inclusion criteria"),
            CriteriaList("inclusion", (AGE, BMI, LIFE, CONSENT, COMPLY), markers=("•", "-")),
            Label("Exclusion criteria"),
            CriteriaList("exclusion", (CARDIAC, HYPERTENSION, EGFR, OTHER_STUDY, ABUSE, INVESTIGATOR), markers=("•",)),
            Heading("Interventions", level=2),
            *filler(3, seed=22),
            Heading("Outcomes", level=2),
            *filler(3, seed=23),
            Heading("Sample size", level=2),
            *filler(2, seed=24),
        ),
        header_left="Open access",
        header_right="",
        footer_left="Smith J, et al. Trial protocol 2024;14:e012345.",
        footer_center="",
        footer_right="{page}",
    )


# ---------------------------------------------------------------------------------------------
# Second-generation fields: tables (objectives | endpoints, schedule of activities), footnotes,
# sub-headings without the known words, split headings, a cover without text, crossover arms.
# ---------------------------------------------------------------------------------------------

SOA_ACTIVITIES: tuple[tuple[str, str], ...] = (
    # (activity, marks per encounter: S P1D1 P1D2 W P2D11 P2D12 FU; "a" = X with footnote a)
    ("Informed consent", "X......"),
    ("Inclusion and exclusion criteria", "X......"),
    ("Demography", "X......"),
    ("Medical history", "X......"),
    ("Physical examination", "X.....X"),
    ("Height and weight", "X.....X"),
    ("Vital signs", "XXX.XXX"),
    ("12-lead ECG", "XX..X.X"),
    ("Hematology", "X.X..XX"),
    ("Clinical chemistry", "X.X..XX"),
    ("Urinalysis", "X.X..XX"),
    ("Pregnancy test", "a...a.a"),
    ("Serology (HIV, hepatitis B and C)", "X......"),
    ("Urine drug screen", "X..X..."),
    ("Randomization", ".X....."),
    ("Study intervention administration", ".X..X.."),
    ("Pharmacokinetic samples", ".XX.XX."),
    ("Pharmacodynamic samples", ".XX.XX."),
    ("Anti-drug antibodies", ".X...XX"),
    ("Injection-site assessment", ".XX.XX."),
    ("Adverse events", "XXXXXXX"),
    ("Concomitant medications", "XXXXXXX"),
    ("Questionnaire on symptoms", ".X..X.."),
    ("Discharge from the unit", "..X..X."),
    ("Meal", ".X..X.."),
    ("Genetic sample (optional)", ".X....."),
)
SOA_ENCOUNTERS = (
    ("Screening", "Day -28 to -2"),
    ("Period 1, Day 1", "Day 1"),
    ("Period 1, Day 2", "Day 2"),
    ("Washout", "3 to 14 days"),
    ("Period 2, Day 1", "Day 1"),
    ("Period 2, Day 2", "Day 2"),
    ("Follow-up", "Day 40"),
)


def soa_table(*, ruled: bool = True, repeat: int = 2) -> GridTable:
    """A schedule of activities: group headers over two columns, timings below, ``X^a`` marks.

    ``repeat`` prints the activities that many times (numbered) so the table runs over pages.
    """
    header = (
        ("", "Screening", "Period 1", "", "Washout", "Period 2", "", "Follow-up", "Comments"),
        ("Procedure", "Day -28 to -2", "Day 1", "Day 2", "3 to 14 days", "Day 1", "Day 2", "Day 40", ""),
    )
    rows: list[tuple[str, ...]] = []
    for k in range(repeat):
        for name, marks in SOA_ACTIVITIES:
            label = name if k == 0 else f"{name} (part {k + 1})"
            cells = tuple("X^a" if m == "a" else ("X" if m == "X" else "") for m in marks)
            rows.append((label, *cells, "See Section 8." if name == "Vital signs" else ""))
    widths = (124.0, 52.0, 36.0, 36.0, 46.0, 36.0, 36.0, 44.0, 58.0)
    return GridTable(
        rows=(*header, *rows),
        header_rows=2,
        spans=((2, 0, 3, 0), (5, 0, 6, 0), (8, 0, 8, 1)),
        ruled=ruled,
        col_widths=widths,
    )


def objectives_table(endpoint_header: str = "Endpoints") -> GridTable:
    """The TransCelerate template's Objectives | Endpoints table, levels as rows spanning both columns."""
    return GridTable(
        rows=(
            ("Objectives", endpoint_header),
            ("Primary", ""),
            ("To evaluate the effect of Drug Z on glycemic control", "Change from baseline in HbA1c at Week 26"),
            ("Secondary", ""),
            (
                "• To assess the effect of Drug Z on body weight\n• To assess the safety and tolerability of Drug Z",
                "• Change from baseline in body weight at Week 26\n• Incidence of treatment-emergent adverse events",
            ),
            ("Exploratory", ""),
            ("To explore patient-reported treatment satisfaction", "Change from baseline in the DTSQ total score"),
        ),
        spans=((0, 1, 1, 1), (0, 3, 1, 3), (0, 5, 1, 5)),
        col_widths=(220.0, 250.0),
        font_size=9.0,
    )


FOOTNOTED_AGE = replace(AGE, footnote=("consent", "Local regulations may set a higher minimum age; see Section 10.1."))


def second_generation() -> Protocol:
    """A CPT-style protocol with every second-generation feature on layouts of its own.

    A cover without text, a Phase 2b title, a crossover design with planned enrolment, a
    two-page ruled schedule of activities (group headers, repeated header rows, ``X^a``), an
    Objectives | Endpoints table, a footnote at the foot of a criteria page with its superscript
    number in the criterion, and a bold sub-heading that no word list knows.
    """
    inclusion = (FOOTNOTED_AGE, DIAGNOSIS, MEASURABLE, ECOG, CONTRACEPTION, CONSENT)
    exclusion = (
        CNS,
        MALIGNANCY,
        SubHeading("Treatment-Related Criteria:"),
        PRIOR_IO,
        STEROIDS,
        VACCINE,
        SubHeading("Other Medical Conditions Observed at Visit 2"),
        INFECTION,
        HIV,
        QTC,
    )
    return Protocol(
        title="A Phase 2b, Randomized, Open-label, Two-period Crossover Study of Drug Z Versus Drug Y in Adults "
        "With Type 2 Diabetes",
        protocol_id="DZ-202",
        sponsor="Zeta Therapeutics",
        cover_without_text=True,
        blocks=(
            _h("1", "Protocol Summary"),
            _h("1.1", "Schedule of Activities"),
            soa_table(),
            Para("a. Only for female participants of childbearing potential."),
            NewPage(),
            _h("2", "Introduction"),
            *filler(3, seed=40),
            _h("3", "Objectives and Endpoints"),
            objectives_table(),
            _h("4", "Study Design"),
            _h("4.1", "Overall Design"),
            Para(
                "This is a randomized, open-label, two-period crossover study. Participants will be randomly "
                "assigned to receive either Drug Z in Period 1 and Drug Y in Period 2, or vice versa. "
                "Approximately 120 participants will be randomized."
            ),
            *filler(2, seed=41),
            _h("5", "Study Population"),
            _h("5.1", "Inclusion Criteria"),
            CriteriaList(
                "inclusion",
                inclusion,
                markers=("{n}.", "{a}.", "{i}."),
                intro="Participants are eligible to be included in the study only if all of the following criteria apply:",
            ),
            _h("5.2", "Exclusion Criteria"),
            CriteriaList(
                "exclusion",
                exclusion,
                markers=("{n}.", "{a}."),
                intro="Participants are excluded from the study if any of the following criteria apply:",
            ),
            *_chapters([("6", "Study Intervention", 3), ("7", "Statistical Considerations", 2)], seed=42),
        ),
    )


def unruled_outcome_measures() -> Protocol:
    """An unruled schedule on one page (Visit and Week rows), "Outcome Measures", Phase I/II."""
    visits = ("Visit", "1", "2", "3", "4", "5", "6")
    weeks = ("Week", "-2", "0", "4", "8", "12", "16")
    rows = (
        ("Informed consent", "X", "", "", "", "", ""),
        ("Eligibility review", "X", "X", "", "", "", ""),
        ("Physical examination", "X", "", "", "", "", "X"),
        ("Vital signs", "X", "X", "X", "X", "X", "X"),
        ("Laboratory tests", "X", "", "X", "", "X^b", "X"),
        ("Study drug dispensing", "", "X", "X", "X", "X", ""),
        ("Adverse events", "", "X", "X", "X", "X", "X"),
    )
    return Protocol(
        title="A Phase I/II Open-label Study of Drug Q in Adults With Moderate Plaque Psoriasis",
        protocol_id="DQ-112",
        sponsor="Q Pharma",
        blocks=(
            *_chapters([("1", "Introduction", 2)], seed=50),
            _h("2", "Outcome Measures"),
            objectives_table("Outcome Measures"),
            _h("3", "Study Design"),
            Para("This is an open-label, single-arm study. A total of 48 participants will be enrolled."),
            _h("4", "Study Population"),
            _h("4.1", "Inclusion Criteria"),
            CriteriaList("inclusion", (AGE, DIAGNOSIS, ECOG, CONSENT), markers=("{n}.", "{a}.", "{i}.")),
            _h("4.2", "Exclusion Criteria"),
            CriteriaList("exclusion", (CNS, INFECTION, HIV, PREGNANT), markers=("{n}.", "{a}.")),
            NewPage(),
            _h("5", "Schedule of Activities"),
            GridTable(rows=(visits, weeks, *rows), header_rows=2, ruled=False, col_widths=(150.0,) + (45.0,) * 6),
            Para("b. Fasting sample."),
            *_chapters([("6", "Statistical Considerations", 2)], seed=51),
        ),
    )


def split_heading() -> Protocol:
    """The body's exclusion heading split by the text layer ("4.2 Ex clusion Criteria") after a synopsis copy."""
    base = synopsis_repeats(as_table=False, full_copy=True)
    blocks = tuple(
        Heading("4.2 Ex\u2009clusion Criteria", level=2)
        if isinstance(b, Heading) and b.text == "4.2 Exclusion Criteria"
        else b
        for b in base.blocks
    )
    return replace(base, blocks=blocks)


LAYOUTS: dict[str, Callable[[], Protocol]] = {
    "cpt": cpt,
    "cpt-continuing-numbers-colon-subheadings": lambda: cpt(continuing=True, colon_subheadings=True),
    "cpt-front-matter-notes-tables-separate-markers": lambda: cpt(
        front_matter=True, separate_markers=True, notes_and_tables=True
    ),
    "cpt-bookmarks-justified": lambda: replace(cpt(front_matter=True), bookmarks="numbered", justify=True),
    "cpt-no-toc": lambda: replace(cpt(continuing=True), toc=False),
    "cpt-heading-numbers-apart": lambda: replace(cpt(), heading_numbers_apart=True, separate_markers=True),
    "cpt-heading-numbers-apart-no-toc": lambda: replace(cpt(), heading_numbers_apart=True, toc=False),
    "cpt-no-toc-markers-at-margin": lambda: replace(cpt(continuing=True), toc=False, list_indent=0),
    "cpt-toc-without-leaders": lambda: replace(cpt(), toc_style="plain", list_indent=0),
    "cpt-toc-page-numbers-apart": lambda: replace(cpt(front_matter=True), toc_style="separate"),
    "plain-numbered-no-toc": lambda: replace(plain_numbered(), toc=False),
    "plain-numbered-bookmark-titles": lambda: replace(plain_numbered(), bookmarks="titles"),
    "lilly-brackets-lowercase": lilly_brackets,
    "letters-top-level-justified": letters_top_level,
    "plain-numbered-note-after": plain_numbered,
    "bullets-word": bullets,
    "bullets-round-dash": lambda: bullets(top="●", nested="–"),
    "bullets-same-glyph-nested": lambda: bullets(top="•", nested="•"),
    "bullets-separate-markers": lambda: bullets(separate_markers=True),
    "academic-capitals-no-toc": academic_caps,
    "inline-labels-numbered": inline_labels,
    "inline-labels-unnumbered": lambda: inline_labels(numbered=False),
    "inline-labels-non-inclusion": lambda: inline_labels(exclusion_label="Non-inclusion criteria:"),
    "in01-ex01": prefixed_labels,
    "i1-e1": lambda: prefixed_labels(inclusion_fmt="I{n}", exclusion_fmt="E{n}"),
    "section-word-headings": section_word,
    "nci-subsection-numbers": nci,
    "synopsis-table-key-criteria": synopsis_repeats,
    "synopsis-text-full-copy": lambda: synopsis_repeats(as_table=False, full_copy=True),
    "synopsis-table-full-copy": lambda: synopsis_repeats(as_table=True, full_copy=True),
    "synopsis-text-full-copy-plain-labels": lambda: synopsis_repeats(as_table=False, full_copy=True, colon=False),
    "synopsis-table-bookmarks": lambda: replace(synopsis_repeats(), bookmarks="numbered"),
    "synopsis-full-copy-no-toc": lambda: replace(
        synopsis_repeats(as_table=False, full_copy=True, colon=False), toc=False
    ),
    "synopsis-table-full-copy-no-toc": lambda: replace(synopsis_repeats(as_table=True, full_copy=True), toc=False),
    "az-bare-numbers": az_bare_numbers,
    "criteria-table": criteria_table,
    "journal-two-columns": journal_two_columns,
    "second-generation-tables-footnotes-cover": second_generation,
    "unruled-schedule-outcome-measures": unruled_outcome_measures,
    "synopsis-full-copy-split-body-heading": split_heading,
}


@cache
def _rendered(name: str) -> RenderedProtocol:
    return render_protocol(LAYOUTS[name]())


@cache
def _summary(name: str) -> ProtocolSummary:
    return extract_summary(_rendered(name).pdf)


def _check(kind: str, predicted: Sequence[Criterion], expected: Sequence[ExpectedCriterion]) -> list[str]:
    problems: list[str] = []
    score = score_criteria([c.text for c in predicted], [e.text for e in expected])
    if min(score.recall, score.precision) < MIN_SCORE or score.mean_ratio < MIN_MEAN_RATIO:
        problems.append(
            f"{kind}: recall {score.recall:.2f} precision {score.precision:.2f} ratio {score.mean_ratio:.2f} "
            f"({len(predicted)} found, {len(expected)} expected)"
        )
        problems.extend(f"  missed {expected[j].id}: {expected[j].text[:80]}" for j in score.unmatched_gold)
        problems.extend(f"  extra {predicted[i].id}: {predicted[i].text[:80]}" for i in score.unmatched_pred)
    if not predicted or predicted[0].page != expected[0].page:
        found = predicted[0].page if predicted else None
        problems.append(f"{kind}: first criterion on page {found}, expected {expected[0].page}")
    problems.extend(
        f"{kind}: {expected[j].id} found on page {predicted[i].page}, printed on page {expected[j].page}"
        for i, j, _ in score.pairs
        if predicted[i].page != expected[j].page
    )
    return problems


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_criteria_in_generated_layout(name: str) -> None:
    rendered = _rendered(name)
    assert rendered.inclusion and rendered.exclusion
    assert all(c.page for c in (*rendered.inclusion, *rendered.exclusion))
    summary = _summary(name)
    problems = [
        *_check("inclusion", summary.inclusion_criteria, rendered.inclusion),
        *_check("exclusion", summary.exclusion_criteria, rendered.exclusion),
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_criterion_ids_follow_the_printed_labels(name: str) -> None:
    rendered = _rendered(name)
    summary = _summary(name)
    for predicted, expected in (
        (summary.inclusion_criteria, rendered.inclusion),
        (summary.exclusion_criteria, rendered.exclusion),
    ):
        assert [c.id for c in predicted] == [e.id for e in expected]


@pytest.mark.parametrize(
    "name",
    [
        "plain-numbered-note-after",
        "cpt-front-matter-notes-tables-separate-markers",
        "nci-subsection-numbers",
        "journal-two-columns",
    ],
)
def test_a_criterion_runs_over_a_page_break(name: str) -> None:
    # The layout tests only cover page breaks inside an item if one actually happens there.
    rendered = _rendered(name)
    assert any(len(c.pages) > 1 for c in (*rendered.inclusion, *rendered.exclusion))


def test_generated_text_has_the_artefacts_the_layouts_are_meant_to_have() -> None:
    rendered = _rendered("cpt-front-matter-notes-tables-separate-markers")
    pdf = read_pdf(rendered.pdf)
    lines = [line.strip() for page in pdf.pages for line in page.splitlines()]
    # The markers are drawn as text objects of their own; PDFium still reads them on the item's line.
    assert any(line.startswith("1. ") for line in lines)
    # Contents with dot leaders and printed page numbers counted from the first body page.
    printed = rendered.heading_pages["5.1. Inclusion Criteria"] - 4
    assert any(re.fullmatch(rf"5\.1\. Inclusion Criteria\.{{5,}} ?{printed}", line) for line in lines)
    assert any(line.endswith("Page iii") for line in lines)  # roman-numbered front matter
    assert len(pdf.outline) == 0
    assert len(read_pdf(_rendered("cpt-bookmarks-justified").pdf).outline) > 10


# ---------------------------------------------------------------------------------------------
# The extractor changes these layouts called for, pinned on small inputs.
# ---------------------------------------------------------------------------------------------


def _lines(*rows: tuple[int, float | None, str]) -> list[Line]:
    """Lines from ``(page, x, text)`` rows."""
    return [Line(text=text, page=page, x=x) for page, x, text in rows]


def test_line_positions_follow_the_printed_indentation() -> None:
    pdf = read_pdf(_rendered("plain-numbered-note-after").pdf)
    doc = document_from_pdf(pdf)
    index = next(i for i, line in enumerate(doc.lines) if line.text == "5.1 Inclusion criteria")
    heading, intro, marker, wrapped = [line for line in doc.lines[index : index + 6] if line.text][:4]
    assert marker.text.startswith("1. Participant must be 18 to 75 years")
    xs = [line.x for line in (heading, intro, marker, wrapped)]
    assert xs[0] is not None and xs[1] is not None and xs[2] is not None and xs[3] is not None
    assert abs(xs[0] - xs[1]) < 0.5
    assert xs[1] < xs[2] < xs[3]
    assert len(pdf.line_x) == len(pdf.pages)
    assert all(
        xs is not None and len(xs) == len(page.splitlines()) for page, xs in zip(pdf.pages, pdf.line_x, strict=True)
    )


def test_text_back_at_the_margin_ends_the_last_item() -> None:
    lines = _lines(
        (1, 90, "1. Known allergy to the study drug or to any of its"),
        (1, 108, "excipients."),
        (1, 90, "2. Pregnant or breastfeeding."),
        (1, 108, "Note: a participant who is breastfeeding may stop and be rescreened."),
        (1, 72, "Note: No additional exclusions may be applied by the investigator."),
        (1, 72, "Interventions"),
    )
    assert [c.text for c in parse_criteria_lines(lines, "exclusion")] == [
        "Known allergy to the study drug or to any of its excipients.",
        "Pregnant or breastfeeding. Note: a participant who is breastfeeding may stop and be rescreened.",
    ]
    # Without a hanging indent in the list there is no evidence of where items end: keep it all.
    flat = [Line(text=line.text, page=1, x=72 if line.x == 108 else line.x) for line in lines]
    assert parse_criteria_lines(flat, "exclusion")[-1].text.endswith("Interventions")


def test_a_table_announced_by_the_last_item_stays_in_it() -> None:
    lines = _lines(
        (1, 90, "1. Known allergy to the study drug or to any of its"),
        (1, 108, "excipients."),
        (1, 90, "2. Use of the following medications within the washout period"),
        (1, 108, "below:"),
        (1, 72, "Drug class Washout"),
        (1, 72, "Strong CYP3A4 inhibitors 14 days"),
    )
    assert parse_criteria_lines(lines, "exclusion")[-1].text.endswith("Strong CYP3A4 inhibitors 14 days")


def test_an_item_continued_in_the_next_column_is_not_cut() -> None:
    lines = _lines(
        (1, 340, "• Age 18 years or older at the time of"),
        (1, 358, "signing the informed consent."),
        (1, 340, "• Able to comply with the visits and the"),
        (2, 96, "Electronic diary."),
        (2, 78, "Exclusion criteria"),
    )
    texts = [c.text for c in parse_criteria_lines(lines, "inclusion")]
    assert texts == [
        "Age 18 years or older at the time of signing the informed consent.",
        "Able to comply with the visits and the Electronic diary.",
    ]


def test_same_glyph_bullets_nest_by_indentation() -> None:
    lines = _lines(
        (1, 90, "• Adequate organ function:"),
        (1, 112, "• neutrophils ≥1.5 × 10^9/L"),
        (1, 112, "• platelets ≥100 × 10^9/L"),
        (1, 90, "• Signed informed consent."),
    )
    assert [(c.id, c.text) for c in parse_criteria_lines(lines, "inclusion")] == [
        ("I1", "Adequate organ function: • neutrophils ≥1.5 × 10^9/L • platelets ≥100 × 10^9/L"),
        ("I2", "Signed informed consent."),
    ]
    # Without positions every bullet of one glyph is a criterion.
    assert len(parse_criteria_lines([Line(text=line.text, page=1) for line in lines], "inclusion")) == 4


def test_markers_for_section_numbers_table_labels_and_bare_numbers() -> None:
    nci = match_marker("5.1.3 Age ≥18 years.")
    assert nci is not None and (nci.style, nci.label, nci.value) == ("5.1.n", "5.1.3", 3)
    alone = match_marker("IN01")
    assert alone is not None and (alone.label, alone.end) == ("IN01", 4)
    camel = match_marker("2 eGFR ≥25 mL/min/1.73 m2")
    assert camel is not None and camel.value == 2
    assert match_marker("5.1 Inclusion Criteria") is None
    for text in ("1.5 mg twice daily", "in 2 weeks", "2 mL of blood", "5 mmHg or more"):
        assert match_marker(text) is None, text


def test_a_run_of_bare_numbers_wins_over_the_lettered_items_nested_in_it() -> None:
    lines = _lines(
        (1, None, "1 Participant must be 18 to 75 years of age."),
        (1, None, "2 Male or female:"),
        (1, None, "(a) Male participants agree to use a condom."),
        (1, None, "(b) Female participants are not pregnant."),
        (1, None, "3 Capable of giving signed informed consent."),
    )
    assert [c.id for c in parse_criteria_lines(lines, "inclusion")] == ["1", "2", "3"]


def test_eligibility_section_that_only_labels_its_exclusions() -> None:
    doc = Document(
        lines=tuple(
            _lines(
                (1, None, "5. PATIENT SELECTION"),
                (1, None, "5.1 Eligibility Criteria"),
                (1, None, "5.1.1 Patients must have confirmed metastatic colorectal cancer."),
                (1, None, "5.1.2 Age ≥18 years."),
                (1, None, "5.2 Exclusion Criteria"),
                (1, None, "5.2.1 Patients who are receiving any other investigational agents."),
                (1, None, "5.2.2 Pregnant women."),
                (1, None, "5.3 Inclusion of Women and Minorities"),
                (1, None, "Both men and women of all races are eligible."),
                (1, None, "6. TREATMENT PLAN"),
                (1, None, "Agent X is given daily."),
            )
        ),
        page_count=1,
    )
    criteria = parse_criteria(doc, locate_sections(doc))
    assert [c.id for c in criteria.inclusion] == ["5.1.1", "5.1.2"]
    assert [c.id for c in criteria.exclusion] == ["5.2.1", "5.2.2"]


@pytest.mark.parametrize(
    "item",
    [
        # A wrapped sentence: a long first line going on in lower case.
        "{n}. Myocardial infarction, unstable angina, coronary revascularization, stroke or transient\nischemic attack.",
        # Short items without a full stop, one line each: too close together to be chapters.
        "{n}. Known HIV infection",
    ],
)
def test_numbered_criteria_do_not_outweigh_the_chapter_headings(item: str) -> None:
    # Without a table of contents, "6. ..." after "5.2" could pass for chapter 6.
    rows = ["5. STUDY POPULATION", "5.1. Inclusion Criteria", "1. Adults.", "5.2. Exclusion Criteria"]
    for n in range(1, 12):
        rows += item.format(n=n).splitlines()
    text = ["Some text.", "More text.", "And more."]
    rows += ["5.3. Lifestyle Considerations", *text, "6. STUDY INTERVENTION", *text, "7. DISCONTINUATION", *text]
    doc = Document(lines=tuple(Line(text=t, page=1) for t in rows), page_count=1)
    numbers = [h.number for h in find_headings(doc) if h.number is not None]
    assert numbers == ["5", "5.1", "5.2", "5.3", "6", "7"]
    assert len(parse_criteria(doc, locate_sections(doc)).exclusion) == 11


def test_a_synopsis_copy_of_the_criteria_loses_to_the_body_section() -> None:
    rows = [
        "PROTOCOL SYNOPSIS",
        "Inclusion Criteria",
        "1. Adults aged 18 years or older.",
        "2. Signed informed consent.",
        "1 INTRODUCTION",
        "Text.",
        "2 STUDY POPULATION",
        "2.1 Inclusion Criteria",
        "1. Adults aged 18 years or older.",
        "2. Signed informed consent.",
        "2.2 Exclusion Criteria",
        "1. Pregnancy.",
        "2. Allergy.",
        "3 TREATMENT",
    ]
    doc = Document(lines=tuple(Line(text=t, page=n + 1) for n, t in enumerate(rows)), page_count=len(rows))
    inclusion = parse_criteria(doc, locate_sections(doc)).inclusion
    assert [c.page for c in inclusion] == [9, 10]
