"""Usage: daily per-tenant counters of finished jobs, tokens and cost, and reports over them.

A job adds to its tenant's counters when it moves into ``success``, ``failed`` or ``cancelled``, in the
same commit as that write (:mod:`common.usage.counters`); reports read the day documents of a
date range (:mod:`common.usage.report`), never the jobs.
"""
