"""The evaluation framework behind ``agentjobs eval`` (dev dependency group; the functions never import it).

* :mod:`common.evals.datasets`: the built-in ``protocols`` and ``criteria`` datasets on the
  shared labelled data, and users' own JSONL or YAML datasets;
* :mod:`common.evals.scorers`: exact and fuzzy match, precision and recall, status accuracy,
  the deterministic judges and the LLM judge, as ``pydantic-evals`` evaluators;
* :mod:`common.evals.runner`: runs a dataset in process or as jobs against a stack, in parallel;
* :mod:`common.evals.reports`: structured results, terminal table, JSON and HTML reports, and
  the comparison of two runs.

``pydantic-evals`` is the runner (cases, evaluators, concurrency, progress); this package adds
the agents, the data and the reports.
"""
