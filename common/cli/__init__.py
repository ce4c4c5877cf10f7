"""The ``agentjobs`` command-line interface.

Start-up is budgeted (``benchmarks/cli_startup.py``): modules import only typer and the standard
library at the top, and everything else inside the command that needs it. The command modules
also skip ``from __future__ import annotations``: Typer evaluates every command's annotations
when it builds ``--help``, and string annotations cost a ``compile`` each (about 40 % of it).
"""
