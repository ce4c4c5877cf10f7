"""``agentjobs mcp serve``: the job API for MCP clients, over stdio or streamable HTTP.

``fastmcp`` (the optional extra ``agentjobs[mcp]``) is imported inside the command only: it takes
seconds to import, and no other command may pay for it.
"""

from typing import Annotated

import typer

from common.cli import exits
from common.cli.context import ApiKeyOption, ApiUrlOption, SubmitUrlOption, api_key, api_url, submit_url

__all__ = ["INSTALL_HINT", "app", "serve"]

app = typer.Typer(rich_markup_mode=None, help="Serve the job API to MCP clients.", no_args_is_help=True)

INSTALL_HINT = "MCP support is not installed: pip install 'agentjobs[mcp]' (or uv sync --extra mcp)."


@app.command()
def serve(
    http: Annotated[
        bool, typer.Option("--http", help="Serve streamable HTTP (bearer = API key) instead of stdio.")
    ] = False,
    host: Annotated[str, typer.Option(help="With --http: the address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="With --http: the port to listen on.")] = 8765,
    submit_url_: SubmitUrlOption = None,
    api_url_: ApiUrlOption = None,
    api_key_: ApiKeyOption = None,
) -> None:
    """Serve MCP tools (submit_job, get_job, list_jobs, cancel_job, wait_for_job, upload_file) and resources.

    Over stdio the API key comes from --api-key or $AGENTJOBS_API_KEY; over --http each request's
    `Authorization: Bearer <API key>` is checked with the API and passed through to it.

    Exit codes: 0 stopped, 2 usage (no API key for stdio, no API URL, the extra is not installed).
    """
    try:
        from common.mcp.server import build_server
    except ImportError as e:
        if e.name is not None and e.name.split(".")[0] in {"fastmcp", "mcp", "mcp_types"}:
            exits.fail(INSTALL_HINT, exits.USAGE)
        raise
    from common.mcp.api import JobsApi

    submit_base, status_base = submit_url(submit_url_), api_url(api_url_)
    if not http:
        api = JobsApi(submit_base, status_base, api_key(api_key_))
        server = build_server(lambda: api, local_files=True)
        exits.note(f"agentjobs MCP server on stdio: submit API {submit_base}, status API {status_base}")
        server.run(transport="stdio", show_banner=False)
        return
    from common.mcp.auth import ApiKeyVerifier, bearer_key

    if api_key_:
        exits.fail("--api-key is for stdio: over --http each client sends its own key as a bearer token", exits.USAGE)
    verifier = ApiKeyVerifier(lambda key: JobsApi(submit_base, status_base, key))
    server = build_server(lambda: JobsApi(submit_base, status_base, bearer_key()), local_files=False, auth=verifier)
    exits.note(f"agentjobs MCP server on http://{host}:{port}/mcp: submit API {submit_base}, status API {status_base}")
    server.run(transport="http", host=host, port=port, show_banner=False)
