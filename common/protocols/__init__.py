"""Clinical-trial protocol fields, one module per field, on top of :mod:`common.pdf`.

* :mod:`~common.protocols.sections` (with :mod:`~common.protocols.section_kinds`): where the key
  sections are (synopsis, objectives, design, eligibility, criteria, schedule of activities);
* :mod:`~common.protocols.criteria`: inclusion and exclusion criteria;
* :mod:`~common.protocols.objectives_endpoints`: objectives and endpoints (tables or lists);
* :mod:`~common.protocols.arms`: study arms and crossover sequences;
* :mod:`~common.protocols.title`, :mod:`~common.protocols.phase`,
  :mod:`~common.protocols.enrolment`: title, phase, planned enrolment;
* :mod:`~common.protocols.schedule_of_activities`: the schedule of activities (USDM encounters
  and activities);
* :mod:`~common.protocols.amendments`: amendment-summary pages (never sections);
* :mod:`~common.protocols.scoring`: scoring these fields against reference data (benchmarks).

Pure code: no network, no model. Importing the package is free.
"""

__all__: list[str] = []
