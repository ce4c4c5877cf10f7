"""Every size limit of a job's input, in one place, sized so that what the schemas accept fits a job.

A job stores its input in its Firestore document (at most 1 MiB), so an input is at most
:data:`MAX_JOB_INPUT_BYTES` of UTF-8 JSON: a submit body without its inline document, or an
upstream request's ``input``. The per-field limits below are what the OpenAPI document and the
input models state; they are allotted from that byte budget so that a request at every field's
maximum still fits it (``tests/unit/api/test_input_limits_fit.py`` checks the arithmetic against
the published schemas):

========================  ===========================================  ==================
part                      limit                                        at most (bytes)
========================  ===========================================  ==================
envelope                  callback_url 2,048; 32 labels of 64 + 512;   ~21,000
                          model 200
criteria (list)           100 criteria of 1,200 characters             ~123,300
criteria (text)           64,000 characters                            ~64,000
patient_profile           200 sentences of 400 characters              ~80,600
========================  ===========================================  ==================

The arithmetic counts one byte per character, as for ASCII text with no character JSON escapes.
Text outside ASCII takes 2-4 bytes per character in UTF-8; such a request at every field's
maximum can exceed the byte budget and is refused with ``413 input_too_large``, which the
OpenAPI document states beside the limit.
"""

from __future__ import annotations

__all__ = [
    "MAX_CALLBACK_URL_CHARS",
    "MAX_CRITERIA",
    "MAX_CRITERIA_TEXT_CHARS",
    "MAX_CRITERION_CHARS",
    "MAX_FILE_URI_CHARS",
    "MAX_JOB_INPUT_BYTES",
    "MAX_LABELS",
    "MAX_LABEL_VALUE_CHARS",
    "MAX_MODEL_CHARS",
    "MAX_SENTENCES",
    "MAX_SENTENCE_CHARS",
]

MAX_JOB_INPUT_BYTES = 256 * 1024
"""Largest agent input a job stores, as UTF-8 JSON (bytes): a submit body without its inline
document, or an upstream request's ``input`` (a Firestore document holds at most 1 MiB)."""

MAX_CALLBACK_URL_CHARS = 2048
"""Longest ``callback_url`` (characters)."""
MAX_LABELS = 32
"""Most ``metadata`` labels per job."""
MAX_LABEL_VALUE_CHARS = 512
"""Longest ``metadata`` label value (characters); keys follow :data:`common.boundary.text.LABEL_KEY`."""
MAX_MODEL_CHARS = 200
"""Longest ``model`` id (characters)."""

MAX_FILE_URI_CHARS = len("gs://") + 222 + len("/") + 1024
"""Longest ``gs://`` URI of a document: a bucket name (at most 222 characters) and an object name
(at most 1,024 bytes, GCS's limit)."""

MAX_CRITERIA = 100
"""Most criteria in one criteria-evaluator job (as a list, or split from text)."""
MAX_CRITERION_CHARS = 1_200
"""Longest criterion (characters)."""
MAX_CRITERIA_TEXT_CHARS = 64_000
"""Longest eligibility text given as one string (characters)."""
MAX_SENTENCES = 200
"""Most patient-profile sentences."""
MAX_SENTENCE_CHARS = 400
"""Longest patient-profile sentence (characters)."""
