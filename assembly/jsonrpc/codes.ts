// JSON-RPC 2.0 error codes (JSON-RPC 2.0 §5.1) and the gateway's fixed error messages.

/** Invalid JSON was received. */
// @ts-ignore: decorator
@inline export const PARSE_ERROR: i32 = -32700;
/** The JSON sent is not a valid Request object. */
// @ts-ignore: decorator
@inline export const INVALID_REQUEST: i32 = -32600;
/** The method does not exist / is not available. */
// @ts-ignore: decorator
@inline export const METHOD_NOT_FOUND: i32 = -32601;
/** Invalid method parameter(s). */
// @ts-ignore: decorator
@inline export const INVALID_PARAMS: i32 = -32602;
/** Implementation-defined server error (-32000..-32099): credential missing or refused. */
// @ts-ignore: decorator
@inline export const UNAUTHORIZED: i32 = -32001;
/** Implementation-defined server error: the access token does not allow the tool (HTTP 403, insufficient_scope). */
// @ts-ignore: decorator
@inline export const FORBIDDEN: i32 = -32003;
/** Implementation-defined server error: the gateway cannot take more sessions (HTTP 503). */
// @ts-ignore: decorator
@inline export const SERVER_BUSY: i32 = -32000;
/** MCP 2026-07-28: a mirrored header is missing, repeated or disagrees with the body (HTTP 400). */
// @ts-ignore: decorator
@inline export const HEADER_MISMATCH: i32 = -32020;
/** MCP 2026-07-28: the request needs a client capability it did not declare (HTTP 400). */
// @ts-ignore: decorator
@inline export const MISSING_CLIENT_CAPABILITY: i32 = -32021;
/** MCP 2026-07-28: the request's protocol version is not one the server speaks (HTTP 400). */
// @ts-ignore: decorator
@inline export const UNSUPPORTED_PROTOCOL_VERSION: i32 = -32022;
/** Internal JSON-RPC error (the gateway's backend exchange failed). */
// @ts-ignore: decorator
@inline export const INTERNAL_ERROR: i32 = -32603;

export const MSG_PARSE_ERROR = "Parse error: request body is not valid JSON";
export const MSG_BATCH = "Invalid Request: JSON-RPC batches are not supported";
export const MSG_NOT_OBJECT = "Invalid Request: body must be a JSON object";
export const MSG_BAD_VERSION = "Invalid Request: jsonrpc must be \"2.0\"";
export const MSG_NO_METHOD = "Invalid Request: method must be a string";
export const MSG_BAD_ID = "Invalid Request: id must be a string, a number or null";
export const MSG_NULL_ID = "Invalid Request: id must not be null";
export const MSG_BAD_PARAMS = "Invalid Request: params must be an object";
export const MSG_EMPTY_BODY = "Invalid Request: empty request body";
export const MSG_METHOD_NOT_ALLOWED = "Method Not Allowed: this endpoint accepts POST";
export const MSG_NO_PROTOCOL_VERSION = "Invalid params: protocolVersion must be a string";
export const MSG_NO_TOOL_NAME = "Invalid params: name must be a string";
export const MSG_TOOL_NOT_ALLOWED = "Tool not allowed: ";
export const MSG_METHOD_NOT_FOUND = "Method not found: ";
export const MSG_BAD_CURSOR = "Invalid params: cursor must be a string";
export const MSG_BAD_ARGUMENTS = "Invalid params: arguments must be an object";
export const MSG_UNAUTHORIZED = "Unauthorized: a valid credential is required";
export const MSG_SESSION_NOT_FOUND = "Session not found";
export const MSG_UNSUPPORTED_VERSION = "Unsupported protocol version: ";
export const MSG_BAD_INPUT_RESPONSES = "Invalid params: inputResponses must be an object";
export const MSG_BAD_REQUEST_STATE = "Invalid params: requestState must be a string";
export const MSG_CONTENT_ENCODING = "Invalid Request: the gateway reads request bodies as sent; unsupported Content-Encoding: ";
export const MSG_UNREADABLE_BODY = "Parse error: the body is not strictly valid UTF-8 JSON within the gateway's nesting limit";
export const MSG_AMBIGUOUS_KEY = "Invalid Request: ambiguous key (repeated, or differing from a JSON-RPC/MCP key only by case): ";
export const MSG_MODERN_BATCH = "Invalid Request: a 2026-07-28 request is one JSON-RPC message, not a batch";
export const MSG_MIXED_CREDENTIALS = "Invalid Request: the batch holds tools that need different backend credentials; send them separately";
export const MSG_BAD_CREDENTIAL = "Invalid Request: the credential holds characters a header cannot carry";
export const MSG_SESSIONS_FULL = "Server busy: the gateway's session limit is reached (server.maxSessions ";
export const MSG_TOKEN_REQUIRED = "Unauthorized: an access token is required (see WWW-Authenticate resource_metadata)";
export const MSG_INVALID_TOKEN = "Unauthorized: the access token is invalid, expired or not issued for this resource";
export const MSG_INSUFFICIENT_SCOPE = "Forbidden: insufficient_scope: the access token does not allow ";
export const MSG_METADATA_METHOD = "Method Not Allowed: the protected resource metadata is read with GET";
export const MSG_SESSION_NOT_SEALABLE = "Bad Gateway: the backend's session id is too long to seal into a gateway session id";
