"""Reading the local stack's function logs: one readable line per JSON log record.

The functions write one JSON object per line (:func:`common.telemetry.log.log`): ``severity``,
``message`` (the event), ``time`` (Unix seconds) and ids, counts and timings. Here each becomes::

    14:52:03.123  INFO     run_agent  job_3f2a…  job.completed  tenant_id=acme agent=protocol-processor

in the machine's local time zone. Sweep ticks that found nothing to do are marked routine. Lines
that are not JSON (the server's access log, a crash's traceback) are shown as they are, after the
previous record's time.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

__all__ = ["LogLine", "follow", "format_record", "parse_line", "read_logs"]

_SHOWN_FIRST = ("severity", "message", "time", "job_id")
# Trace plumbing, not for reading.
_HIDDEN = ("logging.googleapis.com/trace", "logging.googleapis.com/spanId", "logging.googleapis.com/trace_sampled")


@dataclass(frozen=True, slots=True)
class LogLine:
    """One line of a function's log.

    Attributes:
        time: Unix seconds (the record's, or the previous record's for a plain line).
        source: The function (or emulator) that wrote it.
        text: The formatted line.
        routine: A sweep tick that found nothing to do (hidden unless asked for).
    """

    time: float
    source: str
    text: str
    routine: bool = False


def format_record(record: Mapping[str, Any], source: str) -> str:
    """One JSON log record as a line: local time, severity, source, job id, event, other fields."""
    stamp = record.get("time")
    when = (
        datetime.fromtimestamp(stamp).astimezone().strftime("%H:%M:%S.%f")[:-3]
        if isinstance(stamp, (int, float))
        else "--:--:--.---"
    )
    severity = str(record.get("severity", "-"))
    job_id = str(record.get("job_id") or "-")
    rest = " ".join(f"{key}={value}" for key, value in record.items() if key not in _SHOWN_FIRST and key not in _HIDDEN)
    return f"{when}  {severity:<8} {source:<9}  {job_id:<30} {record.get('message', '')}  {rest}".rstrip()


def _routine(record: Mapping[str, Any]) -> bool:
    if record.get("message") != "sweep.done":
        return False
    counts = [v for k, v in record.items() if k != "time" and isinstance(v, (int, float)) and not isinstance(v, bool)]
    return not any(counts)


def parse_line(raw: str, source: str, previous_time: float) -> LogLine:
    """A raw log line: formatted when it is a JSON record, else kept as it is."""
    text = raw.rstrip("\n")
    try:
        record: Any = json.loads(text)
    except ValueError:
        record = None
    if isinstance(record, dict):
        fields = cast(dict[str, Any], record)
        stamp = fields.get("time")
        at = float(stamp) if isinstance(stamp, (int, float)) else previous_time
        return LogLine(at, source, format_record(fields, source), routine=_routine(fields))
    return LogLine(previous_time, source, f"{'':<12}  {'':<8} {source:<9}  {text}")


def _lines(path: Path, source: str) -> list[LogLine]:
    out: list[LogLine] = []
    last = 0.0
    with path.open(encoding="utf-8", errors="replace") as f:
        for raw in f:
            line = parse_line(raw, source, last)
            last = line.time
            out.append(line)
    return out


def read_logs(log_dir: Path, sources: Sequence[str], *, last: int = 0) -> list[LogLine]:
    """Every line of ``sources``' logs, merged in time order; only the final ``last`` when ``last > 0``."""
    merged: list[LogLine] = []
    for source in sources:
        path = log_dir / f"{source}.log"
        if path.exists():
            merged.extend(_lines(path, source))
    merged.sort(key=lambda line: line.time)  # stable: plain lines stay after their record
    return merged[-last:] if last > 0 else merged


def follow(log_dir: Path, sources: Sequence[str], *, poll_seconds: float = 0.3) -> Iterator[LogLine]:
    """New lines of ``sources``' logs as they are written (from their current end), forever."""
    offsets = {s: (log_dir / f"{s}.log").stat().st_size if (log_dir / f"{s}.log").exists() else 0 for s in sources}
    partial = dict.fromkeys(sources, "")
    last = dict.fromkeys(sources, time.time())
    while True:
        for source in sources:
            path = log_dir / f"{source}.log"
            if not path.exists():
                continue
            size = path.stat().st_size
            if size < offsets[source]:  # restarted: the log was recreated
                offsets[source], partial[source] = 0, ""
            if size == offsets[source]:
                continue
            with path.open("rb") as f:
                f.seek(offsets[source])
                chunk = f.read()
            offsets[source] += len(chunk)
            text = partial[source] + chunk.decode("utf-8", errors="replace")
            *complete, partial[source] = text.split("\n")
            for raw in complete:
                line = parse_line(raw, source, last[source])
                last[source] = line.time
                yield line
        time.sleep(poll_seconds)
