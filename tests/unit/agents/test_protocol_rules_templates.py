"""The rules extractor on synthetic protocols laid out like other common templates.

Page texts are written the way a PDF text layer extracts them (running header and footer on every page,
wrapped lines, bullets as private-use glyphs), so these exercise the whole pipeline without PDFs.
"""

from __future__ import annotations

from common.agents.protocol_processor.rules import summarise_pages

_CPT_PAGES = [
    "A PHASE 2, RANDOMIZED, DOUBLE-BLIND, PLACEBO-CONTROLLED STUDY TO\n"
    "EVALUATE THE EFFICACY AND SAFETY OF DRUGX IN ADULTS WITH MODERATE\n"
    "TO SEVERE PLAQUE PSORIASIS\nProtocol Number: XYZ-4567\nSponsor: Example Pharma Inc.\n"
    "Version 2.0, 12 March 2021",
    "Protocol Amendment Summary of Changes Table\n"
    "Section # and Name Description of Change\n"
    "1 Protocol Summary\nEditorial.\n5.2 Exclusion Criteria\nRevised criterion 2.",
    "TABLE OF CONTENTS\n"
    "1. PROTOCOL SUMMARY.....................................................4\n"
    "1.1. Synopsis..............................................................4\n"
    "1.2. Schedule of Activities (SoA)...........................................5\n"
    "2. INTRODUCTION.........................................................6\n"
    "3. OBJECTIVES AND ENDPOINTS.............................................6\n"
    "4. STUDY DESIGN.........................................................7\n"
    "4.1. Overall Design.......................................................7\n"
    "5. STUDY POPULATION.....................................................8\n"
    "5.1. Inclusion Criteria...................................................8\n"
    "5.2. Exclusion Criteria...................................................9\n"
    "5.3. Lifestyle Considerations.............................................10\n"
    "6. STUDY INTERVENTION...................................................11",
    "1. PROTOCOL SUMMARY\n1.1. Synopsis\n"
    "Protocol Title: A Phase 2, Randomized, Double-blind, Placebo-controlled Study to Evaluate the\n"
    "Efficacy and Safety of DrugX in Adults with Moderate to Severe Plaque Psoriasis\n"
    "Short Title: DrugX in psoriasis\nRationale: DrugX is an inhibitor of something.",
    "1.2. Schedule of Activities (SoA)\nProcedure Screening Day 1 Week 4 Week 12\nInformed consent X\n"
    "Vital signs X X X X",
    "2. INTRODUCTION\nDrugX is being developed for psoriasis.\n3. OBJECTIVES AND ENDPOINTS\n"
    "Objectives Endpoints\nPrimary\n\uf0b7 To evaluate the efficacy of DrugX\ncompared with placebo\n"
    "\uf0b7 Proportion of participants achieving PASI 75\nat Week 12\nSecondary\n"
    "\uf0b7 To evaluate the safety and tolerability of\nDrugX\n"
    "\uf0b7 Incidence of treatment-emergent adverse events",
    "4. STUDY DESIGN\n4.1. Overall Design\n"
    "This is a Phase 2, multicenter, randomized, double-blind study. Participants will be randomized\n"
    "1:1:1 to one of three groups. The treatment groups are: a placebo group, a low-dose DrugX group\n"
    "(10 mg QD), and a high-dose DrugX group (30 mg QD).",
    "5. STUDY POPULATION\nProspective approval of protocol deviations is not permitted.\n"
    "5.1. Inclusion Criteria\n"
    "Participants are eligible to be included in the study only if all of the following criteria apply:\n"
    "Age\n1. Participant must be 18 to 75 years of age inclusive, at the time of signing the informed\n"
    "consent.\nType of Participant and Disease Characteristics\n"
    "2. Participants who have had a diagnosis of chronic plaque psoriasis for at least 6 months.\n"
    "3. Participants who have a PASI score \u226512 at screening and baseline.\nWeight\n"
    "4. Body mass index (BMI) within the range 18 to 40 kg/m2 (inclusive).\n"
    "Sex and Contraceptive/Barrier Requirements\n5. Male or female\n"
    "Contraceptive use by men or women should be consistent with local regulations.\n"
    "a. Male participants:\nMale participants are eligible to participate if they agree to the following.\n"
    "b. Female participants:\ni. Is not a woman of childbearing potential (WOCBP)\nOR\n"
    "ii. Is a WOCBP and using a contraceptive method that is highly effective.",
    "Informed Consent\n"
    "6. Capable of giving signed informed consent as described in Appendix 1 which includes\n"
    "compliance with the requirements and restrictions listed in the informed consent form.\n"
    "5.2. Exclusion Criteria\n"
    "Participants are excluded from the study if any of the following criteria apply:\n"
    "Medical Conditions\n1. History or presence of erythrodermic, pustular or guttate psoriasis.\n"
    "2. Active infection requiring systemic treatment within 2 weeks of Day 1.\n"
    "3. Any malignancy within 5 years, except:\n1) adequately treated basal cell carcinoma\n"
    "2) cervical carcinoma in situ\n3) squamous cell carcinoma of the skin\n4. Known HIV infection.\n"
    "Prior/Concomitant Therapy\n5. Use of biologic therapy within 12 weeks prior to Day 1.",
    "Prior/Concurrent Clinical Study Experience\n"
    "6. Participation in another interventional study within 30 days.\n"
    "Other Exclusions\n7. History of alcohol or drug abuse within 1 year.\n5.3. Lifestyle Considerations\n"
    "Participants should avoid prolonged sun exposure.",
    "6. STUDY INTERVENTION\nDrugX tablets 10 mg.",
    "Appendix 1. Regulatory Considerations\nText.",
    "Appendix 2. Clinical Laboratory Tests\nText.",
]


def _with_running_lines(pages: list[str]) -> list[str]:
    return [
        f"Protocol XYZ-4567 Amendment 1\n{text}\nCONFIDENTIAL\nPage {n} of {len(pages)}"
        for n, text in enumerate(pages, start=1)
    ]


def test_transcelerate_template() -> None:
    summary = summarise_pages(_with_running_lines(_CPT_PAGES))
    assert summary.title == (
        "A Phase 2, Randomized, Double-blind, Placebo-controlled Study to Evaluate the Efficacy and Safety "
        "of "
        "DrugX in Adults with Moderate to Severe Plaque Psoriasis"
    )
    assert summary.phase == "Phase 2"
    assert [(s.kind, s.number, s.start_page, s.end_page) for s in summary.sections] == [
        ("synopsis", "1.1", 4, 4),
        ("schedule_of_activities", "1.2", 5, 5),
        ("objectives_endpoints", "3", 6, 6),
        ("study_design", "4", 7, 7),
        ("eligibility", "5", 8, 10),
        ("inclusion", "5.1", 8, 9),
        ("exclusion", "5.2", 9, 10),
    ]
    inclusion = [(c.id, c.page, c.text) for c in summary.inclusion_criteria]
    assert [(i, p) for i, p, _ in inclusion] == [("1", 8), ("2", 8), ("3", 8), ("4", 8), ("5", 8), ("6", 9)]
    assert inclusion[0][2] == (
        "Participant must be 18 to 75 years of age inclusive, at the time of signing the informed consent."
    )
    assert inclusion[4][2].startswith("Male or female Contraceptive use")
    assert inclusion[4][2].endswith("contraceptive method that is highly effective.")
    assert not any(t == "Informed Consent" or t.endswith("Informed Consent") for _, _, t in inclusion)
    exclusion = [(c.id, c.page, c.text) for c in summary.exclusion_criteria]
    assert [(i, p) for i, p, _ in exclusion] == [(str(n), 9) for n in range(1, 6)] + [("6", 10), ("7", 10)]
    assert exclusion[2][2].endswith("3) squamous cell carcinoma of the skin")
    assert exclusion[4][2] == "Use of biologic therapy within 12 weeks prior to Day 1."
    assert exclusion[6][2] == "History of alcohol or drug abuse within 1 year."
    assert [(o.level, o.text) for o in summary.objectives] == [
        ("primary", "To evaluate the efficacy of DrugX compared with placebo"),
        ("secondary", "To evaluate the safety and tolerability of DrugX"),
    ]
    assert summary.endpoints.primary == ["Proportion of participants achieving PASI 75 at Week 12"]
    assert summary.endpoints.secondary == ["Incidence of treatment-emergent adverse events"]
    assert [(a.name, a.description) for a in summary.arms] == [
        ("Placebo", None),
        ("Low-dose DrugX", "10 mg QD"),
        ("High-dose DrugX", "30 mg QD"),
    ]


def test_bulleted_criteria_with_dash_sub_items() -> None:
    pages = [
        "PROTOCOL SYNOPSIS\nTITLE: A RANDOMIZED PHASE IIA STUDY OF DRUG Y IN PATIENTS WITH SJOGREN'S SYNDROME",
        "4. MATERIALS AND METHODS\n4.1 PATIENTS\n4.1.1 Inclusion Criteria\n"
        "Patients must meet the following criteria for study entry:\n"
        "\u2022 Signed Informed Consent Form\n\u2022 Age 18\u201375 years at time of signing\n"
        "\u2022 For women of childbearing potential: agreement to remain abstinent or use contraception,\n"
        "defined as follows:\n\u2013 Abstinence is acceptable only if in line with lifestyle\n"
        "\u2013 Two methods for at least 28 days\n4.1.2 Exclusion Criteria\n"
        "Patients who meet any of the following criteria will be excluded from study entry:\n"
        "\u2022 Pregnant or lactating\n\u2022 Prior treatment with drug Y\n"
        "4.2 METHOD OF TREATMENT ASSIGNMENT\nText.",
    ]
    summary = summarise_pages(pages)
    assert summary.phase == "Phase 2a"
    assert summary.title == "A RANDOMIZED PHASE IIA STUDY OF DRUG Y IN PATIENTS WITH SJOGREN'S SYNDROME"
    assert [c.id for c in summary.inclusion_criteria] == ["I1", "I2", "I3"]
    assert summary.inclusion_criteria[2].text.endswith("\u2013 Two methods for at least 28 days")
    assert [c.text for c in summary.exclusion_criteria] == [
        "Pregnant or lactating",
        "Prior treatment with drug Y",
    ]
    assert [s.kind for s in summary.sections] == ["synopsis", "eligibility", "inclusion", "exclusion"]
