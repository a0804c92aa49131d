// The reply a hostile body must get, from the README's error table — an oracle that reads
// the body the way a backend would (JSON.parse, duplicate keys last-wins) and applies the
// table in the gateway's documented order. Used by tests/hostile.test.mjs.
//
// Terminating mode (README "Errors"):
//   body over the listener's buffer limit                         → 413 (Envoy)
//   empty (or whitespace only)                                     → 400, -32600
//   not JSON (not UTF-8, or nesting deeper than the validator's 256) → 400, -32700
//   batch, not an object, id of a wrong type, jsonrpc ≠ "2.0",
//   no method (unless a response), method not a string, params not
//   an object, a null id                                           → 400, -32600
//   a notification, or a response (id and result/error, no method) → 202, no body
//   initialize without a string protocolVersion                    → 200, -32602
//   initialize, ping                                               → 200, a result
//   tools/call: name not a string, arguments not an object         → 200, -32602
//   tools/list: cursor not a string                                → 200, -32602
//   tools/call of a tool outside allowTools                        → 200, -32602
//   tools/list, tools/call otherwise                               → 200, the backend's answer
//   any other method                                               → 200, -32601

/** Nesting depth json-as's validateJSON accepts (deeper is "not JSON"). */
export const MAX_DEPTH = 256;

// ignoreBOM: a leading BOM stays in the text (JSON.parse then refuses it, as the gateway does).
const fatalUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Deepest container nesting of JSON-ish text (strings skipped). */
export function nestingDepth(text) {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return max;
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const has = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

/**
 * One expected outcome: `status`, and `reply`: 'result' (a JSON-RPC result), a number (a
 * JSON-RPC error with that code), 'backend' (a result or any error: the backend answers),
 * 'none' (no JSON-RPC body: 202, 413). `why` names the rule.
 */
const out = (status, reply, why) => ({ status, reply, why });

/** The outcome the README gives a well-formed UTF-8 text (terminating mode). */
function terminatingOutcome(text, allowTools) {
  if (/^[ \t\r\n]*$/.test(text)) return out(400, -32600, 'empty body');
  if (nestingDepth(text) > MAX_DEPTH) return out(400, -32700, `nesting deeper than ${MAX_DEPTH}`);
  let msg;
  try {
    msg = JSON.parse(text);
  } catch {
    return out(400, -32700, 'not JSON');
  }
  if (Array.isArray(msg)) return out(400, -32600, 'a batch');
  if (!isObject(msg)) return out(400, -32600, 'not an object');
  if (has(msg, 'id') && !(msg.id === null || typeof msg.id === 'string' || typeof msg.id === 'number')) return out(400, -32600, 'id of a wrong type');
  if (msg.jsonrpc !== '2.0') return out(400, -32600, 'jsonrpc is not "2.0"');
  if (!has(msg, 'method')) {
    if (has(msg, 'id') && (has(msg, 'result') || has(msg, 'error'))) return out(202, 'none', 'a response');
    return out(400, -32600, 'no method');
  }
  if (typeof msg.method !== 'string') return out(400, -32600, 'method not a string');
  if (has(msg, 'params') && !isObject(msg.params)) return out(400, -32600, 'params not an object');
  if (has(msg, 'id') && msg.id === null) return out(400, -32600, 'null id');
  if (!has(msg, 'id')) return out(202, 'none', 'a notification');
  const p = msg.params;
  switch (msg.method) {
    case 'initialize':
      return typeof p?.protocolVersion === 'string' ? out(200, 'result', 'initialize') : out(200, -32602, 'initialize without protocolVersion');
    case 'ping':
      return out(200, 'result', 'ping');
    case 'tools/list':
      if (p !== undefined && has(p, 'cursor') && typeof p.cursor !== 'string') return out(200, -32602, 'cursor not a string');
      return out(200, 'backend', 'tools/list');
    case 'tools/call': {
      if (typeof p?.name !== 'string') return out(200, -32602, 'name not a string');
      if (has(p, 'arguments') && p.arguments !== null && !isObject(p.arguments)) return out(200, -32602, 'arguments not an object');
      if (allowTools && !allowTools.includes(p.name)) return out(200, -32602, 'tool not allowed');
      return out(200, 'backend', 'tools/call');
    }
    default:
      return out(200, -32601, 'unknown method');
  }
}

/**
 * The outcome of POSTing `body` (a Buffer) to a terminating-mode gateway with `allowTools`
 * (null: no limit) behind a listener buffer of `bufferLimit` bytes.
 */
export function expectedTerminating(body, { allowTools = null, bufferLimit = 1048576 } = {}) {
  if (body.length > bufferLimit) return out(413, 'none', 'over the buffer limit');
  let text;
  try { text = fatalUtf8.decode(body); } catch { return out(400, -32700, 'not UTF-8'); }
  return terminatingOutcome(text, allowTools);
}

/**
 * Pass-through mode forwards what it cannot read; what it decides itself for a body (no
 * hostile header): over the buffer limit → 413; a well-formed UTF-8 JSON body holding a
 * tools/call (alone or in a batch) of a tool outside `allowTools` → 200, -32602, locally.
 * Null when the backend decides.
 */
export function expectedPassthrough(body, { allowTools, bufferLimit = 1048576 }) {
  if (body.length > bufferLimit) return out(413, 'none', 'over the buffer limit');
  let text;
  try { text = fatalUtf8.decode(body); } catch { return null; }
  if (nestingDepth(text) > MAX_DEPTH) return null;
  let v;
  try { v = JSON.parse(text); } catch { return null; }
  const messages = Array.isArray(v) ? v.filter(isObject) : isObject(v) ? [v] : [];
  const denied = messages.some((m) => m.method === 'tools/call' && isObject(m.params) && typeof m.params.name === 'string' && !allowTools.includes(m.params.name));
  return denied ? out(200, -32602, 'tools/call of a tool outside allowTools') : null;
}

/** Whether a reply ({status, json}) matches an expected outcome. */
export function matches(expected, { status, json }) {
  if (status !== expected.status) return false;
  switch (expected.reply) {
    case 'none': return true;
    case 'result': return json !== undefined && 'result' in json;
    case 'backend': return json !== undefined && ('result' in json || 'error' in json);
    default: return json?.error?.code === expected.reply;
  }
}

/** An outcome as text, for failure messages. */
export function describeOutcome(o) {
  const reply = typeof o.reply === 'number' ? `error ${o.reply}` : o.reply;
  return `HTTP ${o.status} ${reply} (${o.why})`;
}
