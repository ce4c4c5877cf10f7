"""Build a function's deploy archive the way terraform/functions.tf does.

Terraform's ``archive_file`` zips, for function ``<key>``: each of ``local.function_source_files``
from ``functions/<key>/`` at the archive root, and each of ``local.shared_sources`` (the files
``fileset`` matches for ``local.shared_source_patterns``) under its repository path. The two lists
are computed by Terraform itself (:func:`tests.support.terraform.evaluate`), so the archive holds
exactly the files a deployment uploads, with the same contents (``archive_file`` reads each with
``file()``, as UTF-8 text).
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

from common.devstack.stack import PROJECT_ROOT

__all__ = ["build_function_archive"]


def build_function_archive(
    function: str,
    destination: Path,
    *,
    function_source_files: Sequence[str],
    shared_sources: Sequence[str],
    root: Path = PROJECT_ROOT,
) -> Path:
    """Write ``destination`` (a zip) and return it.

    Args:
        function: Function key, the folder under ``functions/``.
        destination: Path of the zip to write.
        function_source_files: Files of ``functions/<function>/`` for the archive root.
        shared_sources: Repository-relative files every archive holds under the same path.
        root: Repository root.

    Raises:
        UnicodeDecodeError: A file is not UTF-8 text, which Terraform's ``file()`` would reject too.
    """
    entries = {name: root / "functions" / function / name for name in function_source_files}
    entries |= {name: root / name for name in shared_sources}
    with zipfile.ZipFile(destination, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            data = entries[name].read_bytes()
            data.decode("utf-8")  # file() accepts only UTF-8 text
            archive.writestr(info, data)
    return destination
