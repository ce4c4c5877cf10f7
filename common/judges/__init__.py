"""Judges: checks of a successful job's output that run before its callback goes out (issue 9).

Deterministic judges (:mod:`common.judges.protocol`, :mod:`common.judges.criteria`) are pure and
always run; the LLM judge (:mod:`common.judges.llm`) runs when a judge model is configured. The
verdict record is :mod:`common.judges.models`; the service that runs them is
:mod:`common.services.judging`.
"""
