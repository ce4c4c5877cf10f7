"""agentjobs: run LLM agents as asynchronous, tenant-isolated jobs on Google Cloud serverless.

This package is shared by the four Cloud Functions under ``functions/`` and the ``agentjobs`` CLI.
Importing it is free: sub-packages are imported only where they are used, because cold start is
measured (see ``benchmarks/cold_start.py``).
"""
