"""The MCP server (``agentjobs mcp serve``): the job API as Model Context Protocol tools and resources.

It is a client of the agentjobs HTTP API, with the tenant's API key, so it works against the local
stack or a deployment. ``fastmcp`` is an optional extra (``pip install 'agentjobs[mcp]'``) and
loads only in :mod:`common.mcp.server` and :mod:`common.mcp.auth`, which only the ``agentjobs mcp``
command imports: it takes seconds to import and no function may ever load it.
"""
