// MCP's HTTP headers (spec: basic/transports, Streamable HTTP).

/** The session id a server issues at initialize and clients send on every later request. */
export const SESSION_HEADER = "mcp-session-id";
/** The negotiated protocol version, sent on every request after initialize. */
export const VERSION_HEADER = "mcp-protocol-version";
