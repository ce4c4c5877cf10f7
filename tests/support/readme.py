"""The README's settings table, generated from :mod:`common.config` and the CLI's own variables.

``uv run python -m tests.support.readme`` rewrites the block between the ``settings:begin`` and
``settings:end`` markers; ``tests/unit/config/test_readme_settings.py`` fails when it is stale.
Also: the README's runnable shell blocks (those after a ``runs: tests/e2e/test_readme.py``
comment), in order.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from common.cli.context import API_ENV
from common.config import Settings, setting_infos

README = Path(__file__).resolve().parents[2] / "README.md"
BEGIN, END = "<!-- settings:begin -->", "<!-- settings:end -->"
RUNNABLE_MARK = "<!-- runs: tests/e2e/test_readme.py -->"
_RUNNABLE = re.compile(re.escape(RUNNABLE_MARK) + r"\n```sh\n(.*?)```", re.DOTALL)


def _default(name: str) -> str:
    value = {f.name: f.default for f in dataclasses.fields(Settings)}[name]
    if value is dataclasses.MISSING or value in ("", {}):
        return ""
    if isinstance(value, bool):
        return "on" if value else "off"
    return f"`{value}`"


def render_settings() -> str:
    """The Markdown between the markers: the functions' settings, then the CLI's variables."""
    rows = [
        "| variable | read by | default | meaning |",
        "|---|---|---|---|",
    ]
    for info in setting_infos():
        name = f"`{info.env}<{info.prefix}>`" if info.prefix else f"`{info.env}`"
        if info.fallback_env:
            name += f" (or `{info.fallback_env}`)"
        notes = []
        if info.secret:
            notes.append("secret")
        if not info.deployed:
            notes.append("local stack only")
        doc = info.doc.replace("|", "\\|") + (f" *({', '.join(notes)})*" if notes else "")
        rows.append(f"| {name} | {', '.join(info.functions)} | {_default(info.field)} | {doc} |")
    rows += [
        "",
        "The CLI also reads (never the functions):",
        "",
        "| variable | meaning |",
        "|---|---|",
    ]
    rows += [f"| `{name}` | {doc.replace('|', '\\|')} |" for name, doc in API_ENV.items()]
    return "\n".join(rows)


def updated(text: str) -> str:
    """``text`` (the README) with the generated block replaced."""
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[:start] + "\n" + render_settings() + "\n" + text[end:]


def runnable_blocks(text: str) -> list[str]:
    """The marked ``sh`` blocks of ``text``, in order."""
    return _RUNNABLE.findall(text)


if __name__ == "__main__":
    README.write_text(updated(README.read_text()))
    print(f"rewrote the settings table in {README}")
