// A stand-in proxy-wasm host in Node, for profiling the filter's own work per request: it
// loads build/mcp-proxy.wasm, implements the few `proxy_*` calls the filter makes, and drives
// scripted requests through the ABI callbacks, timing each callback and counting host calls.
// Envoy remains the judge of the whole cost (make bench); this splits the wasm part by phase.
//
//   node bench/standin.mjs [--wasm build/mcp-proxy.wasm] [--n 20000] [--scenario pass-session|pass-modern|term-kept|all]
import { readFileSync } from 'node:fs';
import { randomFillSync } from 'node:crypto';
import { parseArgs } from 'node:util';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** One instance of the module with a scripted host. */
export class StandIn {
  constructor(wasmPath) {
    this.maps = { 0: [], 2: [], 6: [] }; // request, response, http-call response headers
    this.buffers = { 0: new Uint8Array(0), 1: new Uint8Array(0), 4: new Uint8Array(0), 7: new Uint8Array(0) };
    this.shared = new Map();
    this.casSeq = 1;
    this.properties = new Map();
    this.calls = new Map(); // host call name → count
    this.local = null; // the last local response
    this.dispatched = []; // http calls
    this.now = 1_700_000_000_000n * 1_000_000n;
    const self = this;
    const count = (name, fn) => (...a) => { self.calls.set(name, (self.calls.get(name) ?? 0) + 1); return fn(...a); };
    const env = {
      proxy_log: count('log', () => 0),
      proxy_set_effective_context: count('set_effective_context', () => 0),
      proxy_set_tick_period_milliseconds: count('set_tick_period', () => 0),
      proxy_get_current_time_nanoseconds: count('get_time', (p) => { self.view().setBigUint64(p, self.now, true); return 0; }),
      proxy_get_header_map_value: count('get_header', (map, kp, kl, vp, vs) => {
        const key = self.str(kp, kl);
        const h = self.maps[map]?.find(([k]) => k === key);
        if (!h) return 1; // NotFound
        self.out(vp, vs, enc.encode(h[1]));
        return 0;
      }),
      proxy_get_header_map_pairs: count('get_headers', (map, vp, vs) => { self.out(vp, vs, self.pairs(self.maps[map] ?? [])); return 0; }),
      proxy_replace_header_map_value: count('replace_header', (map, kp, kl, vp, vl) => {
        const k = self.str(kp, kl);
        const v = self.str(vp, vl);
        const m = self.maps[map].filter(([x]) => x !== k);
        m.push([k, v]);
        self.maps[map] = m;
        return 0;
      }),
      proxy_remove_header_map_value: count('remove_header', (map, kp, kl) => {
        const k = self.str(kp, kl);
        self.maps[map] = self.maps[map].filter(([x]) => x !== k);
        return 0;
      }),
      proxy_get_buffer_bytes: count('get_buffer', (type, start, len, vp, vs) => {
        const b = self.buffers[type] ?? new Uint8Array(0);
        self.out(vp, vs, b.subarray(start, start + len));
        return 0;
      }),
      proxy_set_buffer_bytes: count('set_buffer', (type, start, len, dp, dl) => {
        self.buffers[type] = self.bytes(dp, dl).slice();
        return 0;
      }),
      proxy_get_property: count('get_property', () => 1),
      proxy_set_property: count('set_property', (kp, kl, vp, vl) => { self.properties.set(self.str(kp, kl), self.str(vp, vl)); return 0; }),
      proxy_get_shared_data: count('get_shared', (kp, kl, vp, vs, casp) => {
        const e = self.shared.get(self.str(kp, kl));
        if (!e) return 1;
        self.out(vp, vs, enc.encode(e.value));
        self.view().setUint32(casp, e.cas, true);
        return 0;
      }),
      proxy_set_shared_data: count('set_shared', (kp, kl, vp, vl, cas) => {
        const k = self.str(kp, kl);
        const e = self.shared.get(k);
        if (cas !== 0 && (!e || e.cas !== cas)) return 7; // CasMismatch
        self.shared.set(k, { value: self.str(vp, vl), cas: ++self.casSeq });
        return 0;
      }),
      proxy_send_local_response: count('send_local_response', (status, dp, dl, bp, bl) => {
        self.local = { status, body: self.str(bp, bl) };
        return 0;
      }),
      proxy_http_call: count('http_call', (cp, cl, hp, hl, bp, bl, tp, tl, timeout, tokp) => {
        const token = self.dispatched.length + 1;
        self.dispatched.push({ body: self.str(bp, bl) });
        self.view().setUint32(tokp, token, true);
        return 0;
      }),
      proxy_define_metric: count('define_metric', (t, np, nl, idp) => { self.view().setUint32(idp, 1, true); return 0; }),
      proxy_record_metric: count('record_metric', () => 0),
      proxy_increment_metric: count('increment_metric', () => 0),
    };
    const wasi = {
      proc_exit: () => { throw new Error('proc_exit (abort)'); },
      random_get: (p, n) => { randomFillSync(new Uint8Array(self.memory.buffer, p, n)); return 0; },
    };
    this.instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasmPath)), { env, wasi_snapshot_preview1: wasi, wasi_unstable: wasi });
    this.x = this.instance.exports;
    this.memory = this.x.memory;
    this.x._initialize?.();
  }

  view() { return new DataView(this.memory.buffer); }
  bytes(p, n) { return new Uint8Array(this.memory.buffer, p, n); }
  str(p, n) { return dec.decode(this.bytes(p, n)); }

  /** Copies `data` into a buffer the module allocates, and writes its pointer and size. */
  out(vp, vs, data) {
    const p = this.x.malloc(data.length);
    this.bytes(p, data.length).set(data);
    this.view().setUint32(vp, p, true);
    this.view().setUint32(vs, data.length, true);
  }

  /** proxy-wasm serialized header pairs. */
  pairs(list) {
    const parts = list.map(([k, v]) => [enc.encode(k), enc.encode(v)]);
    let size = 4 + parts.length * 8;
    for (const [k, v] of parts) size += k.length + v.length + 2;
    const b = new Uint8Array(size);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, parts.length, true);
    let at = 4 + parts.length * 8;
    parts.forEach(([k, v], i) => {
      dv.setUint32(4 + i * 8, k.length, true);
      dv.setUint32(8 + i * 8, v.length, true);
      b.set(k, at); at += k.length + 1;
      b.set(v, at); at += v.length + 1;
    });
    return b;
  }

  configure(config) {
    this.buffers[7] = enc.encode(JSON.stringify(config));
    this.x.proxy_on_context_create(1, 0);
    if (!this.x.proxy_on_configure(1, this.buffers[7].length)) throw new Error('configuration refused');
  }
}

/** Times `fn` per phase over n requests; returns µs per request per phase and host calls per request. */
function profile(host, n, request) {
  const phases = new Map();
  const time = (name, fn) => {
    const t0 = process.hrtime.bigint();
    const r = fn();
    phases.set(name, (phases.get(name) ?? 0n) + (process.hrtime.bigint() - t0));
    return r;
  };
  host.calls.clear();
  let ctx = 100;
  for (let i = 0; i < n; i++) request(host, ++ctx, time);
  const out = {};
  for (const [k, v] of phases) out[k] = Number(v / BigInt(n)) / 1000;
  const calls = {};
  for (const [k, v] of host.calls) calls[k] = +(v / n).toFixed(2);
  return { usPerPhase: out, hostCallsPerRequest: calls };
}

const LEGACY = '2025-06-18';
const legacyCall = (sid) => ({
  headers: [[':method', 'POST'], [':path', '/mcp'], [':authority', 'gw'], ['content-type', 'application/json'],
    ['accept', 'application/json, text/event-stream'], ['mcp-protocol-version', LEGACY], ['user-agent', 'bench'],
    ...(sid ? [['mcp-session-id', sid]] : [])],
  body: '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello"}}}',
});
const modernCall = () => ({
  headers: [[':method', 'POST'], [':path', '/mcp'], [':authority', 'gw'], ['content-type', 'application/json'],
    ['accept', 'application/json, text/event-stream'], ['mcp-protocol-version', '2026-07-28'], ['mcp-method', 'tools/call'], ['mcp-name', 'echo']],
  body: '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}',
});
const RESULT = '{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"hello"}]}}';

/** One pass-through request: headers, body, response headers and body, end. */
function passRequest(make, backendSid) {
  return (host, id, time) => {
    const req = make();
    host.maps[0] = req.headers.slice();
    host.x.proxy_on_context_create(id, 1);
    time('request headers', () => host.x.proxy_on_request_headers(id, req.headers.length, 0));
    host.buffers[0] = enc.encode(req.body);
    time('request body', () => host.x.proxy_on_request_body(id, host.buffers[0].length, 1));
    host.maps[2] = [[':status', '200'], ['content-type', 'application/json'], ...(backendSid ? [['mcp-session-id', backendSid]] : [])];
    time('response headers', () => host.x.proxy_on_response_headers(id, host.maps[2].length, 0));
    host.buffers[1] = enc.encode(RESULT);
    time('response body', () => host.x.proxy_on_response_body(id, host.buffers[1].length, 1));
    time('done', () => { host.x.proxy_on_log(id); host.x.proxy_on_done(id); host.x.proxy_on_delete(id); });
  };
}

/** Opens a pass-through session (initialize through the stand-in) and returns the gateway id. */
function openSession(host) {
  const id = 50;
  host.maps[0] = [[':method', 'POST'], [':path', '/mcp'], [':authority', 'gw'], ['content-type', 'application/json']];
  host.x.proxy_on_context_create(id, 1);
  host.x.proxy_on_request_headers(id, 4, 0);
  host.buffers[0] = enc.encode('{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"b","version":"0"}}}');
  host.x.proxy_on_request_body(id, host.buffers[0].length, 1);
  host.maps[2] = [[':status', '200'], ['content-type', 'application/json'], ['mcp-session-id', 'backend-1']];
  host.x.proxy_on_response_headers(id, 3, 0);
  const gid = host.maps[2].find(([k]) => k === 'mcp-session-id')[1];
  host.x.proxy_on_delete(id);
  return gid;
}

/** A terminating-mode call on a kept backend session: request, then the dispatched call's answer. */
function termKept(host, id, time) {
  const req = legacyCall();
  host.maps[0] = req.headers.slice();
  host.x.proxy_on_context_create(id, 1);
  time('request headers', () => host.x.proxy_on_request_headers(id, req.headers.length, 0));
  host.buffers[0] = enc.encode(req.body);
  const before = host.dispatched.length;
  time('request body (dispatch)', () => host.x.proxy_on_request_body(id, host.buffers[0].length, 1));
  const token = before + 1;
  host.maps[6] = [[':status', '200'], ['content-type', 'application/json']];
  host.buffers[4] = enc.encode(host.dispatched[before].body.includes('"method":"initialize"')
    ? '{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18","capabilities":{}}}'
    : '{"jsonrpc":"2.0","id":2,"result":{"content":[{"type":"text","text":"hello"}]}}');
  time('backend answer (reply)', () => host.x.proxy_on_http_call_response(1, token, 2, host.buffers[4].length, 0));
  time('done', () => { host.x.proxy_on_log(id); host.x.proxy_on_done(id); host.x.proxy_on_delete(id); });
}

async function main() {
  const { values } = parseArgs({ options: { wasm: { type: 'string', default: 'build/mcp-proxy.wasm' }, n: { type: 'string', default: '20000' }, scenario: { type: 'string', default: 'all' } } });
  const n = Number(values.n);
  const scenarios = {
    'pass-session': () => {
      const h = new StandIn(values.wasm);
      h.configure({ server: { name: 'b', type: 'mcp-passthrough', mcpServerURL: 'http://be/mcp' } });
      const gid = openSession(h);
      return [h, passRequest(() => legacyCall(gid), 'backend-1')];
    },
    'pass-modern': () => {
      const h = new StandIn(values.wasm);
      h.configure({ server: { name: 'b', type: 'mcp-passthrough', mcpServerURL: 'http://be/mcp' } });
      return [h, passRequest(modernCall, '')];
    },
    'term-kept': () => {
      const h = new StandIn(values.wasm);
      h.configure({ server: { name: 'b', type: 'mcp-proxy', mcpServerURL: 'http://be/mcp', cluster: 'be' } });
      // The era and a stateless profile are learned by the first requests (scripted answers).
      h.shared.set('mcp-proxy/era/be|be/mcp', { value: `l|${Date.now() * 10}`, cas: 1 });
      return [h, termKept];
    },
  };
  for (const [name, make] of Object.entries(scenarios)) {
    if (values.scenario !== 'all' && values.scenario !== name) continue;
    const [host, request] = make();
    profile(host, Math.min(2000, n), request); // warm up (JIT)
    const r = profile(host, n, request);
    const total = Object.values(r.usPerPhase).reduce((a, b) => a + b, 0);
    process.stdout.write(`${name}: ${total.toFixed(2)} µs of wasm per request\n`);
    for (const [k, v] of Object.entries(r.usPerPhase)) process.stdout.write(`  ${k.padEnd(26)} ${v.toFixed(2)} µs\n`);
    process.stdout.write(`  host calls per request: ${JSON.stringify(r.hostCallsPerRequest)}\n`);
  }
}

main().catch((e) => { process.stderr.write(`${e.stack}\n`); process.exit(1); });
