"""Example MCP server on the Python MCP SDK 2.x (`mcp==2.3.0`), which speaks 2026-07-28.

A second, independent implementation of the stateless revision for the gateway's e2e tests:

    tests/.venv-mcp2/bin/python examples/backend/modern_server.py [PORT]

Serves /mcp on 127.0.0.1:PORT (default 8084) for both eras (the SDK routes a request by its
MCP-Protocol-Version header: 2026-07-28 is served statelessly, older versions through the
2025 transport), JSON responses. Tools `echo` (text) and `add` (a, b). Every tool run is
recorded: GET /__calls answers a JSON array of {"name", "arguments"}. Prints
`py-modern listening on http://127.0.0.1:PORT/mcp` once the listener is bound.
"""

import sys

import uvicorn
from mcp.server.mcpserver import MCPServer
from starlette.requests import Request
from starlette.responses import JSONResponse

mcp = MCPServer(name="py-modern", version="2.3.0")

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
        print(f"py-modern listening on http://127.0.0.1:{self.config.port}/mcp", flush=True)


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8084
    app = mcp.streamable_http_app(streamable_http_path="/mcp", json_response=True, stateless_http=True)
    Ready(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")).run()


if __name__ == "__main__":
    main()
