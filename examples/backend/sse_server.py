"""Example MCP server over the legacy HTTP+SSE transport, on the Python MCP SDK (FastMCP).

A second, independent SSE server implementation for the gateway's `transport: "sse"` e2e
tests:

    python3 examples/backend/sse_server.py [PORT]

Serves GET /sse (the stream; its first event announces `/messages/?session_id=...`) and
POST /messages/ on 127.0.0.1:PORT (default 8082). Prints `py-sse listening on
http://127.0.0.1:PORT/sse` once the listener is bound.
"""

import base64
import sys

import uvicorn
from mcp.server.fastmcp import FastMCP, Image
from mcp.server.fastmcp.exceptions import ToolError

# A valid 1x1 PNG (one opaque red pixel), the same bytes as examples/backend/server.mjs.
TINY_PNG_BASE64 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
)

mcp = FastMCP("py-sse", host="127.0.0.1", log_level="WARNING")


@mcp.tool(description="Returns its text argument")
def echo(text: str) -> str:
    return text


@mcp.tool(description="Returns a 1x1 PNG")
def image() -> Image:
    return Image(data=base64.b64decode(TINY_PNG_BASE64), format="png")


@mcp.tool(description="Always reports a tool-level error (isError: true)")
def fail() -> str:
    raise ToolError("this tool always fails")


class Ready(uvicorn.Server):
    """A uvicorn server that announces readiness once its socket is bound."""

    async def startup(self, sockets=None):
        await super().startup(sockets)
        print(f"py-sse listening on http://127.0.0.1:{self.config.port}/sse", flush=True)


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8082
    mcp.settings.port = port
    config = uvicorn.Config(mcp.sse_app(), host="127.0.0.1", port=port, log_level="warning")
    Ready(config).run()


if __name__ == "__main__":
    main()
