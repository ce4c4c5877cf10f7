"""The boundary rule: everything that enters is parsed and bounded before anything else uses it.

* :mod:`common.boundary.ids`: the one id grammar (tenant, job, agent, event/message ids) that
  every id passes before it touches a store path or a log line;
* :mod:`common.boundary.json_input`: JSON parsing with size, depth, number-range and Unicode
  limits, so a hostile body is a client error instead of a ``RecursionError`` or a storage
  error that looks transient;
* :mod:`common.boundary.text`: bounded client strings that are not content (labels, keys).

Pure: no SDK imports.
"""
