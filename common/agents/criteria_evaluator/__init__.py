"""The criteria evaluator agent: a patient's eligibility for a trial, criterion by criterion."""

__all__: list[str] = []
