"""Example MCP server over Streamable HTTP, on the Python MCP SDK (FastMCP).

A third, independent Streamable HTTP implementation (Python's JSON and pydantic parsing)
for the gateway's pass-through e2e tests:

    python3 examples/backend/streamable_server.py [PORT]

Serves /mcp on 127.0.0.1:PORT (default 8083), stateful (initialize issues an
Mcp-Session-Id), with the tools `echo` (text) and `add` (a, b). Every tool execution is
recorded: GET /__calls answers a JSON array of {"name", "arguments"}, so tests can prove
that a refused call never ran. Prints `py-streamable listening on http://127.0.0.1:PORT/mcp`
once the listener is bound.
"""

import sys

import uvicorn
from mcp.server.fastmcp import FastMCP
from starlette.requests import Request
from starlette.responses import JSONResponse

mcp = FastMCP("py-streamable", host="127.0.0.1", log_level="WARNING")

# Tool executions, in order.
CALLS: list[dict] = []


@mcp.tool(description="Returns its text argument")
def echo(text: str) -> str:
    CALLS.append({"name": "echo", "arguments": {"text": text}})
    return text


@mcp.tool(description="Adds two numbers")
def add(a: float, b: float) -> str:
    CALLS.append({"name": "add", "arguments": {"a": a, "b": b}})
    total = a + b
    return str(int(total)) if total == int(total) else str(total)


@mcp.custom_route("/__calls", methods=["GET"])
async def calls(_request: Request) -> JSONResponse:
    return JSONResponse(CALLS)


class Ready(uvicorn.Server):
    """A uvicorn server that announces readiness once its socket is bound."""

    async def startup(self, sockets=None):
        await super().startup(sockets)
        print(f"py-streamable listening on http://127.0.0.1:{self.config.port}/mcp", flush=True)


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8083
    mcp.settings.port = port
    config = uvicorn.Config(mcp.streamable_http_app(), host="127.0.0.1", port=port, log_level="warning")
    Ready(config).run()


if __name__ == "__main__":
    main()
