"""The ``agentjobs`` command line."""
