import io
import json

from common.telemetry.log import MAX_FIELD_CHARS, log, where


def test_log_lines_are_json_with_severity_and_redact_long_strings():
    out = io.StringIO()
    note = "Patient is a 54 year old man with a history of " * 10
    log("job.failed", severity="WARNING", stream=out, job_id="job_x", note=note, seconds=1.23456789, payload={"a": 1})  # pyright: ignore[reportArgumentType]
    record = json.loads(out.getvalue())
    assert record["severity"] == "WARNING" and record["message"] == "job.failed" and record["job_id"] == "job_x"
    assert record["note"] == f"<redacted {len(note)} chars>" and len(note) > MAX_FIELD_CHARS
    assert record["payload"] == "<dropped dict>"
    assert record["seconds"] == 1.234568


def test_where_names_the_innermost_frame_not_the_message():
    def inner():
        raise ValueError("secret patient detail")

    location = ""
    try:
        inner()
    except ValueError as e:
        location = where(e)
    assert location.startswith("test_log.py:inner:")
    assert "secret" not in location
