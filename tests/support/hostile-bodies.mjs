// Generates hostile JSON-RPC request bodies for the gateway, reproducibly from one seed.
// Each case is { label, body: Buffer, expectId? }: `label` names what was done (printed on
// failure), `expectId` is the request id when it is a plain string or safe integer, so a reply
// that carries a `result` can be checked to echo it (JSON-RPC 2.0 §5).

/** mulberry32: a small seeded PRNG, enough for reproducible test input. */
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  return {
    next,
    int,
    pick: (arr) => arr[int(arr.length)],
    bytes: (n) => {
      const b = Buffer.alloc(n);
      for (let i = 0; i < n; i++) b[i] = int(256);
      return b;
    },
  };
}

/** JSON text inserted verbatim by `ser` (numbers JS cannot hold, broken escapes, deep nesting). */
export class Raw {
  constructor(text) {
    this.text = text;
  }
}
/** An object written as an ordered list of [key, value] pairs, so keys may repeat. */
export class Pairs {
  constructor(pairs) {
    this.pairs = pairs;
  }
}

/** Serializes like JSON.stringify, but honours Raw and Pairs. */
export function ser(v) {
  if (v instanceof Raw) return v.text;
  if (v instanceof Pairs) return '{' + v.pairs.map(([k, x]) => keyText(k) + ':' + ser(x)).join(',') + '}';
  if (Array.isArray(v)) return '[' + v.map(ser).join(',') + ']';
  if (v !== null && typeof v === 'object') {
    return '{' + Object.entries(v).map(([k, x]) => keyText(k) + ':' + ser(x)).join(',') + '}';
  }
  return JSON.stringify(v);
}
const keyText = (k) => (k instanceof Raw ? k.text : JSON.stringify(k));

/** Valid requests the hostile cases start from. */
export const BASES = {
  initialize: {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'hostile', version: '1.0.0' },
    },
  },
  ping: { jsonrpc: '2.0', id: 2, method: 'ping' },
  toolsList: { jsonrpc: '2.0', id: 3, method: 'tools/list', params: {} },
  toolsCall: {
    jsonrpc: '2.0',
    id: 4,
    method: 'tools/call',
    params: { name: 'echo', arguments: { text: 'hello' } },
  },
  initialized: { jsonrpc: '2.0', method: 'notifications/initialized' },
};

/** One value of every JSON type, as raw text (1e999 and a 30-digit integer overflow doubles). */
export const VALUES = [
  ['null', 'null'],
  ['true', 'true'],
  ['false', 'false'],
  ['zero', '0'],
  ['int', '42'],
  ['negative', '-1'],
  ['float', '1.5'],
  ['huge 1e999', '1e999'],
  ['huge -1e999', '-1e999'],
  ['bigint', '123456789012345678901234567890'],
  ['string', '"hostile"'],
  ['empty string', '""'],
  ['empty array', '[]'],
  ['array', '[1,"a",null]'],
  ['empty object', '{}'],
  ['object', '{"a":{"b":[1]}}'],
];

const clone = (o) => structuredClone(o);
const buf = (s) => (Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8'));
/** Sets (or deletes, with undefined) a dotted path in a clone of `base`. */
function withField(base, path, value) {
  const o = clone(base);
  const keys = path.split('.');
  let cur = o;
  for (const k of keys.slice(0, -1)) {
    if (cur[k] === null || typeof cur[k] !== 'object' || Array.isArray(cur[k])) cur[k] = {};
    cur = cur[k];
  }
  const last = keys[keys.length - 1];
  if (value === undefined) delete cur[last];
  else cur[last] = value;
  return o;
}
/** The id a well-formed reply must echo, when the request's id is unambiguous. */
function plainId(o) {
  const id = o.id;
  if (typeof id === 'string' && !/[\ud800-\udfff]/.test(id)) return id;
  if (Number.isSafeInteger(id)) return id;
  return undefined;
}
/** expectId for an id given as raw JSON text. */
function idOf(text) {
  try {
    const v = JSON.parse(text);
    if (typeof v === 'string' || Number.isSafeInteger(v)) return v;
  } catch {}
  return undefined;
}

function fieldMatrix(out) {
  const topBases = ['initialize', 'ping', 'toolsList', 'toolsCall', 'initialized'];
  for (const field of ['jsonrpc', 'id', 'method', 'params']) {
    for (const b of topBases) {
      for (const [name, text] of VALUES) {
        const o = withField(BASES[b], field, new Raw(text));
        out.push({ label: `${b}: ${field} = ${name}`, body: buf(ser(o)), expectId: field === 'id' ? idOf(text) : plainId(o) });
      }
      const o = withField(BASES[b], field, undefined);
      out.push({ label: `${b}: ${field} missing`, body: buf(ser(o)), expectId: plainId(o) });
    }
  }
  const nested = [
    ['toolsCall', 'params.name'],
    ['toolsCall', 'params.arguments'],
    ['toolsCall', 'params.arguments.text'],
    ['toolsList', 'params.cursor'],
    ['initialize', 'params.protocolVersion'],
    ['initialize', 'params.capabilities'],
    ['initialize', 'params.clientInfo'],
  ];
  for (const [b, path] of nested) {
    for (const [name, text] of VALUES) {
      const o = withField(BASES[b], path, new Raw(text));
      out.push({ label: `${b}: ${path} = ${name}`, body: buf(ser(o)), expectId: plainId(o) });
    }
    const o = withField(BASES[b], path, undefined);
    out.push({ label: `${b}: ${path} missing`, body: buf(ser(o)), expectId: plainId(o) });
  }
}

function idCases(out) {
  const ids = [
    ['short string', '"abc"'],
    ['empty string', '""'],
    ['100 KB string', JSON.stringify('i'.repeat(100_000))],
    ['negative', '-7'],
    ['-0', '-0'],
    ['fraction', '3.14'],
    ['2^53+1', '9007199254740993'],
    ['1e308', '1e308'],
    ['1e-400', '1e-400'],
    ['unicode', JSON.stringify('ид-😀')],
    ['control escapes', '"\\u0000\\n\\"\\\\"'],
    ['lone surrogate', '"\\ud800"'],
    ['nested object', '{"a":[1]}'],
    ['max u64', '18446744073709551615'],
  ];
  for (const b of ['ping', 'toolsList', 'toolsCall', 'initialize']) {
    for (const [name, text] of ids) {
      const o = withField(BASES[b], 'id', new Raw(text));
      out.push({ label: `${b}: id ${name}`, body: buf(ser(o)), expectId: idOf(text) });
    }
  }
}

function deepCases(out) {
  const arr = (d) => '['.repeat(d) + ']'.repeat(d);
  const obj = (d) => '{"a":'.repeat(d) + '1' + '}'.repeat(d);
  const mixed = (d) => '[{"a":'.repeat(d) + '1' + '}]'.repeat(d);
  for (const d of [10_000, 100_000]) {
    out.push({ label: `whole body: ${d}-deep array`, body: buf(arr(d)) });
    out.push({ label: `whole body: ${d}-deep object`, body: buf(obj(d)) });
    out.push({ label: `whole body: ${d} unclosed [`, body: buf('['.repeat(d)) });
    out.push({ label: `whole body: ${d} unclosed {"a":`, body: buf('{"a":'.repeat(d)) });
  }
  const d = 10_000;
  const places = [
    ['toolsCall', 'params'],
    ['toolsList', 'params'],
    ['initialize', 'params'],
    ['toolsCall', 'params.arguments'],
    ['toolsCall', 'params.arguments.text'],
    ['toolsCall', 'params.name'],
    ['toolsList', 'params.cursor'],
    ['initialize', 'params.capabilities'],
    ['ping', 'id'],
    ['ping', 'method'],
    ['ping', 'jsonrpc'],
  ];
  for (const [b, path] of places) {
    for (const [shape, make] of [['array', arr], ['object', obj]]) {
      const o = withField(BASES[b], path, new Raw(make(d)));
      out.push({ label: `${b}: ${path} = ${d}-deep ${shape}`, body: buf(ser(o)), expectId: path === 'id' ? undefined : plainId(o) });
    }
  }
  out.push({ label: `toolsCall: params.arguments = ${d}-deep [{"a":...}]`, body: buf(ser(withField(BASES.toolsCall, 'params.arguments', new Raw(mixed(d))))), expectId: 4 });
  out.push({ label: 'ping: 200-deep params (shallow enough to parse)', body: buf(ser(withField(BASES.ping, 'params', new Raw(obj(200))))), expectId: 2 });
  out.push({ label: 'toolsCall: text is a string of 10000 [', body: buf(ser(withField(BASES.toolsCall, 'params.arguments.text', '['.repeat(d)))), expectId: 4 });
}

/** 1 MB strings; the whole body stays under Envoy's 1 MiB buffer limit, except where noted. */
function bigCases(out) {
  const MB = 1_000_000;
  const big = 'A'.repeat(MB);
  const places = [
    ['ping', 'method'],
    ['toolsCall', 'params.name'],
    ['toolsCall', 'params.arguments.text'],
    ['ping', 'id'],
    ['ping', 'jsonrpc'],
    ['initialize', 'params.protocolVersion'],
    ['toolsList', 'params.cursor'],
  ];
  for (const [b, path] of places) {
    const o = withField(BASES[b], path, big);
    out.push({ label: `${b}: ${path} = 1 MB string`, body: buf(ser(o)), expectId: plainId(o) });
  }
  out.push({ label: 'toolsCall: 1 MB argument key', body: buf(ser(withField(BASES.toolsCall, 'params.arguments', new Raw(`{${JSON.stringify(big)}:1}`)))), expectId: 4 });
  out.push({ label: 'toolsCall: 1 MB unterminated string', body: buf(`{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"echo","arguments":{"text":"${big}`) });
  out.push({ label: 'toolsCall: text = 160k \\u0041 escapes', body: buf(ser(withField(BASES.toolsCall, 'params.arguments.text', new Raw('"' + '\\u0041'.repeat(160_000) + '"')))), expectId: 4 });
  out.push({ label: 'toolsCall: text = 160k lone \\ud800 escapes', body: buf(ser(withField(BASES.toolsCall, 'params.arguments.text', new Raw('"' + '\\ud800'.repeat(160_000) + '"')))), expectId: 4 });
  out.push({ label: 'toolsCall: text = 330k three-byte chars', body: buf(ser(withField(BASES.toolsCall, 'params.arguments.text', '€'.repeat(330_000)))), expectId: 4 });
  out.push({ label: 'ping: 1 MB of whitespace before the object', body: buf(' '.repeat(MB) + ser(BASES.ping)), expectId: 2 });
  out.push({ label: 'ping: id = 1 MB of digits', body: buf(ser(withField(BASES.ping, 'id', new Raw('1'.repeat(MB))))) });
  out.push({ label: 'toolsCall: 50k arguments keys', body: buf(ser(withField(BASES.toolsCall, 'params.arguments', new Raw('{' + Array.from({ length: 50_000 }, (_, i) => `"k${i}":${i}`).join(',') + '}')))), expectId: 4 });
  out.push({ label: 'over the limit: 1.5 MB text (413 allowed)', body: buf(ser(withField(BASES.toolsCall, 'params.arguments.text', 'B'.repeat(1_500_000)))), expectId: 4 });
  out.push({ label: 'over the limit: 3 MB of [ (413 allowed)', body: buf('['.repeat(3_000_000)) });
}

/** Raw byte sequences that are not valid UTF-8. */
const BAD_UTF8 = [
  [0xff], [0xfe], [0xc0, 0x80], [0xc1, 0xbf], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80],
  [0xbf], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0x00],
];
function badUtf8Cases(out) {
  const hex = (b) => b.map((x) => x.toString(16).padStart(2, '0')).join(' ');
  const pre = (s) => Buffer.from(s, 'utf8');
  for (const bad of BAD_UTF8) {
    const B = Buffer.from(bad);
    const shapes = [
      ['in method', pre('{"jsonrpc":"2.0","id":5,"method":"tools/'), B, pre('call","params":{"name":"echo","arguments":{"text":"x"}}}')],
      ['in tool name', pre('{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"ec'), B, pre('ho","arguments":{"text":"x"}}}')],
      ['in argument', pre('{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo","arguments":{"text":"x'), B, pre('y"}}}')],
      ['in a key', pre('{"jsonrpc":"2.0","id":5,"method":"ping","para'), B, pre('ms":{}}')],
      ['in string id', pre('{"jsonrpc":"2.0","id":"a'), B, pre('b","method":"ping"}')],
      ['between tokens', pre('{"jsonrpc":"2.0",'), B, pre('"id":5,"method":"ping"}')],
      ['at the end', pre('{"jsonrpc":"2.0","id":5,"method":"ping"}'), B, pre('')],
    ];
    for (const [where, a, b, c] of shapes) {
      out.push({ label: `invalid UTF-8 [${hex(bad)}] ${where}`, body: Buffer.concat([a, b, c]) });
    }
  }
}

function surrogateCases(out) {
  const escapes = ['\\ud800', '\\udfff', '\\ud800\\u0041', '\\udc00\\ud800', '\\ud800\\ud800', '\\uDBFF', '\\ud83d', '\\ude00x'];
  for (const e of escapes) {
    const s = new Raw(`"a${e}"`);
    const cases = [
      ['method', withField(BASES.ping, 'method', s)],
      ['tool name', withField(BASES.toolsCall, 'params.name', s)],
      ['argument', withField(BASES.toolsCall, 'params.arguments.text', s)],
      ['id', withField(BASES.ping, 'id', s)],
      ['key', withField(BASES.ping, 'params', new Raw(`{"a${e}":1}`))],
      ['protocolVersion', withField(BASES.initialize, 'params.protocolVersion', s)],
      ['cursor', withField(BASES.toolsList, 'params.cursor', s)],
      ['jsonrpc', withField(BASES.ping, 'jsonrpc', s)],
    ];
    for (const [where, o] of cases) {
      out.push({ label: `lone surrogate ${e} in ${where}`, body: buf(ser(o)), expectId: where === 'id' ? undefined : plainId(o) });
    }
  }
}

function duplicateKeyCases(out) {
  const P = (pairs) => buf(ser(new Pairs(pairs)));
  const call = { name: 'echo', arguments: { text: 'dup' } };
  out.push({ label: 'duplicate id (1 then 2)', body: P([['jsonrpc', '2.0'], ['id', 1], ['id', 2], ['method', 'ping']]) });
  out.push({ label: 'duplicate id (number then object)', body: P([['jsonrpc', '2.0'], ['id', 1], ['id', {}], ['method', 'ping']]) });
  out.push({ label: 'duplicate method (ping then tools/call)', body: P([['jsonrpc', '2.0'], ['id', 6], ['method', 'ping'], ['method', 'tools/call'], ['params', call]]) });
  out.push({ label: 'duplicate method (tools/call then initialize)', body: P([['jsonrpc', '2.0'], ['id', 6], ['method', 'tools/call'], ['params', call], ['method', 'initialize']]) });
  out.push({ label: 'duplicate jsonrpc (2.0 then 1.0)', body: P([['jsonrpc', '2.0'], ['jsonrpc', '1.0'], ['id', 6], ['method', 'ping']]) });
  out.push({ label: 'duplicate params (object then array)', body: P([['jsonrpc', '2.0'], ['id', 6], ['method', 'tools/call'], ['params', call], ['params', [1]]]) });
  out.push({ label: 'duplicate params.name', body: P([['jsonrpc', '2.0'], ['id', 6], ['method', 'tools/call'], ['params', new Pairs([['name', 'echo'], ['name', 'nope'], ['arguments', { text: 'x' }]])]]) });
  out.push({ label: 'duplicate params.arguments', body: P([['jsonrpc', '2.0'], ['id', 6], ['method', 'tools/call'], ['params', new Pairs([['name', 'echo'], ['arguments', { text: 'x' }], ['arguments', 7]])]]) });
  out.push({ label: '1000 duplicate ids', body: P([['jsonrpc', '2.0'], ...Array.from({ length: 1000 }, (_, i) => ['id', i]), ['method', 'ping']]) });
  out.push({ label: 'duplicate keys in argument object', body: P([['jsonrpc', '2.0'], ['id', 6], ['method', 'tools/call'], ['params', new Pairs([['name', 'echo'], ['arguments', new Pairs([['text', 'a'], ['text', 'b']])]])]]), expectId: 6 });
}

function bomCases(out) {
  const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
  for (const [b, o] of Object.entries(BASES)) {
    out.push({ label: `BOM + ${b}`, body: Buffer.concat([BOM, buf(ser(o))]), expectId: plainId(o) });
  }
  out.push({ label: 'two BOMs + ping', body: Buffer.concat([BOM, BOM, buf(ser(BASES.ping))]), expectId: 2 });
  out.push({ label: 'BOM alone', body: BOM });
  out.push({ label: 'BOM between tokens', body: Buffer.concat([buf('{"jsonrpc":"2.0",'), BOM, buf('"id":2,"method":"ping"}')]) });
  out.push({ label: 'UTF-16LE with BOM', body: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(ser(BASES.ping), 'utf16le')]) });
  out.push({ label: 'UTF-16BE with BOM', body: Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(ser(BASES.ping), 'utf16le').swap16()]) });
}

/** Hand-written syntax oddities and semantic edge cases. */
function miscCases(out) {
  const texts = [
    ['empty body', ''],
    ['whitespace only', ' \r\n\t '],
    ['null', 'null'],
    ['true', 'true'],
    ['number', '0'],
    ['string', '"ping"'],
    ['empty array', '[]'],
    ['empty object', '{}'],
    ['batch of one ping', `[${ser(BASES.ping)}]`],
    ['batch of ping and tools/call', `[${ser(BASES.ping)},${ser(BASES.toolsCall)}]`],
    ['batch of 1000 pings', '[' + Array(1000).fill(ser(BASES.ping)).join(',') + ']'],
    ['two objects back to back', ser(BASES.ping) + ser(BASES.ping)],
    ['trailing garbage', ser(BASES.ping) + 'x'],
    ['trailing comma', '{"jsonrpc":"2.0","id":2,"method":"ping",}'],
    ['single quotes', "{'jsonrpc':'2.0','id':2,'method':'ping'}"],
    ['comment', '{"jsonrpc":"2.0",/* c */"id":2,"method":"ping"}'],
    ['unquoted key', '{jsonrpc:"2.0","id":2,"method":"ping"}'],
    ['NaN id', '{"jsonrpc":"2.0","id":NaN,"method":"ping"}'],
    ['Infinity id', '{"jsonrpc":"2.0","id":Infinity,"method":"ping"}'],
    ['hex id', '{"jsonrpc":"2.0","id":0x10,"method":"ping"}'],
    ['leading zero id', '{"jsonrpc":"2.0","id":01,"method":"ping"}'],
    ['plus id', '{"jsonrpc":"2.0","id":+1,"method":"ping"}'],
    ['.5 id', '{"jsonrpc":"2.0","id":.5,"method":"ping"}'],
    ['1e-999 id', '{"jsonrpc":"2.0","id":1e-999,"method":"ping"}'],
    ['bad escape \\x', '{"jsonrpc":"2.0","id":2,"method":"pi\\xng"}'],
    ['short \\u escape', '{"jsonrpc":"2.0","id":2,"method":"pi\\u12"}'],
    ['backslash at end of string', '{"jsonrpc":"2.0","id":2,"method":"ping\\"}'],
    ['raw newline in string', '{"jsonrpc":"2.0","id":2,"method":"pi\nng"}'],
    ['raw NUL in string', '{"jsonrpc":"2.0","id":2,"method":"pi\u0000ng"}'],
    ['NUL after object', ser(BASES.ping) + '\u0000'],
    ['escaped NUL in tool name', ser(withField(BASES.toolsCall, 'params.name', 'echo\u0000evil'))],
    ['unknown method', ser(withField(BASES.ping, 'method', 'no/such/method'))],
    ['method __proto__', ser(withField(BASES.ping, 'method', '__proto__'))],
    ['method rpc.discover', ser(withField(BASES.ping, 'method', 'rpc.discover'))],
    ['method with spaces', ser(withField(BASES.ping, 'method', ' tools/call '))],
    ['TOOLS/CALL upper case', ser(withField(BASES.toolsCall, 'method', 'TOOLS/CALL'))],
    ['tools/call unknown tool', ser(withField(BASES.toolsCall, 'params.name', 'no-such-tool'))],
    ['tools/call tool not allowed by allowTools', ser(withField(BASES.toolsCall, 'params.name', 'add'))],
    ['tools/call with __proto__ arguments', ser(withField(BASES.toolsCall, 'params.arguments', new Raw('{"__proto__":{"text":"x"}}')))],
    ['notification with id', ser(withField(BASES.initialized, 'id', 9))],
    ['notifications/cancelled', ser({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 4 } })],
    ['unknown notification', ser({ jsonrpc: '2.0', method: 'notifications/nope' })],
    ['response object (result) sent as request', ser({ jsonrpc: '2.0', id: 7, result: {} })],
    ['response object (error) sent as request', ser({ jsonrpc: '2.0', id: 7, error: { code: -1, message: 'x' } })],
    ['result and method together', ser({ jsonrpc: '2.0', id: 7, method: 'ping', result: {} })],
    ['initialize with unknown protocol version', ser(withField(BASES.initialize, 'params.protocolVersion', '1999-01-01'))],
    ['initialize with 100 extra fields', ser(withField(BASES.initialize, 'params.extra', Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`f${i}`, i]))))],
  ];
  for (const [label, text] of texts) {
    let expectId;
    try {
      const v = JSON.parse(text);
      if (v && typeof v === 'object' && !Array.isArray(v)) expectId = plainId(v);
    } catch {}
    out.push({ label, body: buf(text), expectId });
  }
}

function truncatedCases(out, rng) {
  const valid = Object.entries(BASES).map(([b, o]) => [b, ser(o)]);
  valid.push(['toolsCall long', ser(withField(BASES.toolsCall, 'params.arguments.text', 'é✓😀'.repeat(20)))]);
  for (const [b, text] of valid) {
    const bytes = buf(text);
    const cuts = new Set([0, 1, bytes.length - 1]);
    while (cuts.size < 25) cuts.add(rng.int(bytes.length));
    for (const n of [...cuts].sort((x, y) => x - y)) {
      out.push({ label: `${b} truncated to ${n}/${bytes.length} bytes`, body: bytes.subarray(0, n) });
    }
  }
}

function randomCases(out, rng) {
  for (let i = 0; i < 80; i++) {
    const n = rng.int(4096);
    out.push({ label: `random bytes #${i} (${n} bytes)`, body: rng.bytes(n) });
  }
  const alphabet = '{}[]":,0123456789.-eE+truefalsn\\u \t\n"abcdef';
  for (let i = 0; i < 40; i++) {
    const n = 1 + rng.int(300);
    let s = '';
    for (let j = 0; j < n; j++) s += alphabet[rng.int(alphabet.length)];
    out.push({ label: `random JSON-ish text #${i}`, body: buf(s) });
  }
}

/** Mutations of valid requests (byte overwrite, deletion, insertion of a token, duplication). */
function mutationCases(out, rng, count) {
  const valid = Object.entries(BASES).map(([b, o]) => [b, buf(ser(o))]);
  const tokens = ['{', '}', '[', ']', '"', ',', ':', '\\', '\\u', '\\ud800', 'null', '1e999', '-', '\u0000', '\xff', '\ufeff'];
  for (let i = 0; i < count; i++) {
    const [b, base] = rng.pick(valid);
    let bytes = Buffer.from(base);
    const steps = [];
    for (let m = 1 + rng.int(4); m > 0; m--) {
      const at = rng.int(bytes.length + 1);
      switch (rng.int(4)) {
        case 0: {
          if (bytes.length === 0) break;
          const p = Math.min(at, bytes.length - 1);
          const v = rng.int(256);
          bytes[p] = v;
          steps.push(`set[${p}]=0x${v.toString(16)}`);
          break;
        }
        case 1: {
          const len = 1 + rng.int(8);
          bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + len)]);
          steps.push(`del[${at},+${len}]`);
          break;
        }
        case 2: {
          const tok = rng.pick(tokens);
          bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(tok, tok === '\xff' ? 'latin1' : 'utf8'), bytes.subarray(at)]);
          steps.push(`ins[${at}]=${JSON.stringify(tok)}`);
          break;
        }
        default: {
          const len = 1 + rng.int(16);
          bytes = Buffer.concat([bytes.subarray(0, at + len), bytes.subarray(at, at + len), bytes.subarray(at + len)]);
          steps.push(`dup[${at},+${len}]`);
        }
      }
    }
    out.push({ label: `mutated ${b} #${i}: ${steps.join(" ")}`, body: bytes });
  }
}

/** All hostile cases for `seed`: at least `min` of them, in a fixed order. */
export function hostileCases(seed, min = 1000) {
  const rng = prng(seed);
  const out = [];
  fieldMatrix(out);
  idCases(out);
  deepCases(out);
  bigCases(out);
  badUtf8Cases(out);
  surrogateCases(out);
  duplicateKeyCases(out);
  bomCases(out);
  miscCases(out);
  truncatedCases(out, rng);
  randomCases(out, rng);
  mutationCases(out, rng, Math.max(150, min - out.length));
  return out;
}
