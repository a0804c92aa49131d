import { parseSessionKeys, SealKeys, open, OpenStatus } from "../crypto/seal";
import { parseConfig } from "../config/config";
import { DEFAULT_SESSION_MAX_AGE_S, MAX_SESSION_MAX_AGE_S } from "../config/sessions";
import { parseUrl } from "../config/url";
import {
  MAX_CLOCK_SKEW_MS, OpenedTokens, SealedCheck, backendIdentity, openSession, sealSession, sealedCheckName,
} from "../passthrough/sealed";
import { decodeBase64, encodeBase64 } from "../util/base64";

const KEY_A = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";
const KEY_B = "QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8=";
const SID = "3f2a9c1e-7b4d-4e8a-9f60-0c1d2e3f4a5b";
const CRED = "Bearer token-123";
const T0: i64 = 1767225600123;
const DAY: i64 = 86400000;

function keys(list: string[]): SealKeys {
  return parseSessionKeys(list).keys!;
}

function nonce(first: i32): Uint8Array {
  const b = new Uint8Array(24);
  for (let i = 0; i < 24; i++) b[i] = <u8>(first + i);
  return b;
}

const IDENT = backendIdentity("mcp_backend", parseUrl("http://127.0.0.1:8080/mcp")!);

function sealA(): string {
  return sealSession(keys([KEY_A]), SID, IDENT, CRED, T0, nonce(7))!;
}

function check(ks: SealKeys, token: string, ident: string, cred: string, now: i64, maxAge: i64): SealedCheck {
  return openSession(ks, token, ident, cred, now, maxAge).check;
}

describe("backendIdentity", () => {
  it("is the cluster and the whole mcpServerURL (scheme, authority, path and query)", () => {
    expect(IDENT).toBe("mcp_backend|http://127.0.0.1:8080/mcp");
    expect(backendIdentity("c", parseUrl("https://h:8443/a/mcp?x=1")!)).toBe("c|https://h:8443/a/mcp?x=1");
    expect(backendIdentity("", parseUrl("http://h")!)).toBe("|http://h/");
  });
});

describe("sealSession / openSession", () => {
  it("round-trips the backend session id for the same caller, backend and keys", () => {
    const t = sealA();
    const r = openSession(keys([KEY_A]), t, IDENT, CRED, T0 + 1000, DAY);
    expect(sealedCheckName(r.check)).toBe("ok");
    expect(r.backendSessionId).toBe(SID);
  });
  it("seals the four fields the issue names, readable only with the key", () => {
    const r = open(keys([KEY_A]), sealA());
    expect(r.status).toBe(OpenStatus.Ok);
    const f = r.fields!;
    expect(f.backendSessionId).toBe(SID);
    expect(f.backendIdentity).toBe(IDENT);
    expect(f.issuedAtMs).toBe(T0);
    expect(f.credentialHash.length).toBe(32);
    // Nothing of the plaintext shows in the token.
    const t = sealA();
    expect(t.includes("mcp_backend")).toBe(false);
    expect(decodeBase64(t, true)!.length).toBe(1 + 4 + 24 + 8 + 32 + 2 + SID.length + 2 + IDENT.length + 16);
  });
  it("gives a fresh token for each nonce, all of them opening", () => {
    const a = sealSession(keys([KEY_A]), SID, IDENT, CRED, T0, nonce(1))!;
    const b = sealSession(keys([KEY_A]), SID, IDENT, CRED, T0, nonce(2))!;
    expect(a == b).toBe(false);
    expect(check(keys([KEY_A]), a, IDENT, CRED, T0, DAY)).toBe(SealedCheck.Ok);
    expect(check(keys([KEY_A]), b, IDENT, CRED, T0, DAY)).toBe(SealedCheck.Ok);
  });
  it("keeps a typical token well under 1 KB of header", () => {
    expect(sealA().length).toBeLessThan(256);
  });
  it("refuses a backend session id too long to seal (null, the caller answers 502)", () => {
    expect(sealSession(keys([KEY_A]), "x".repeat(1600), IDENT, CRED, T0, nonce(1)) === null).toBe(true);
    expect(sealSession(keys([KEY_A]), "x".repeat(1000), IDENT, CRED, T0, nonce(1)) === null).toBe(false);
  });
});

describe("openSession refusals (table)", () => {
  it("names each reason and never opens", () => {
    const t = sealA();
    const raw = decodeBase64(t, true)!;
    const flipped = raw.slice();
    flipped[40] ^= 1; // inside the ciphertext
    const tagFlip = raw.slice();
    tagFlip[tagFlip.length - 1] ^= 0x80;
    const otherIdent = backendIdentity("other_cluster", parseUrl("http://127.0.0.1:8080/mcp")!);
    const otherUrl = backendIdentity("mcp_backend", parseUrl("http://127.0.0.1:8080/mcp2")!);
    const tokens: string[] = [t, t, encodeBase64(flipped, true), encodeBase64(tagFlip, true), t, t, t, t, t, t, "", "abc", t + "A", t.substring(1)];
    const ks: SealKeys[] = [keys([KEY_A]), keys([KEY_B]), keys([KEY_A]), keys([KEY_A]), keys([KEY_A]), keys([KEY_A]), keys([KEY_A]), keys([KEY_A]), keys([KEY_A]), keys([KEY_A]), keys([KEY_A]), keys([KEY_A]), keys([KEY_A]), keys([KEY_A])];
    const idents: string[] = [IDENT, IDENT, IDENT, IDENT, IDENT, IDENT, IDENT, IDENT, otherIdent, otherUrl, IDENT, IDENT, IDENT, IDENT];
    const creds: string[] = [CRED, CRED, CRED, CRED, CRED, CRED, "Bearer token-124", "", CRED, CRED, CRED, CRED, CRED, CRED];
    const nows: i64[] = [T0 + DAY, T0, T0, T0, T0 + DAY + 1, T0 - MAX_CLOCK_SKEW_MS - 1, T0, T0, T0, T0, T0, T0, T0, T0];
    const want: SealedCheck[] = [
      SealedCheck.Ok, SealedCheck.UnknownKey, SealedCheck.BadTag, SealedCheck.BadTag, SealedCheck.Expired, SealedCheck.FromTheFuture,
      SealedCheck.OtherCredential, SealedCheck.OtherCredential, SealedCheck.OtherBackend, SealedCheck.OtherBackend,
      SealedCheck.Malformed, SealedCheck.Malformed, SealedCheck.Malformed, SealedCheck.Malformed,
    ];
    for (let i = 0; i < tokens.length; i++) {
      const r = openSession(ks[i], tokens[i], idents[i], creds[i], nows[i], DAY);
      expect(sealedCheckName(r.check)).toBe(sealedCheckName(want[i]), "case " + i.toString());
      if (r.check != SealedCheck.Ok) expect(r.backendSessionId).toBe("", "case " + i.toString());
    }
  });
  it("accepts an issue time within the clock skew, and an age of exactly sessionMaxAge", () => {
    const t = sealA();
    expect(check(keys([KEY_A]), t, IDENT, CRED, T0 - MAX_CLOCK_SKEW_MS, DAY)).toBe(SealedCheck.Ok);
    expect(check(keys([KEY_A]), t, IDENT, CRED, T0 + DAY, DAY)).toBe(SealedCheck.Ok);
    expect(check(keys([KEY_A]), t, IDENT, CRED, T0 + 1001, 1000)).toBe(SealedCheck.Expired);
  });
  it("never opens a shared-data table id (27 characters) or a table id's shape", () => {
    expect(check(keys([KEY_A]), "AAAAAQAAAAAAAAAAAAAAAAAAAAA", IDENT, CRED, T0, DAY)).toBe(SealedCheck.Malformed);
  });
});

describe("key rotation", () => {
  it("seals with the first key; an old key in second position still opens; removed, it does not", () => {
    const old = sealA();
    expect(check(keys([KEY_B, KEY_A]), old, IDENT, CRED, T0, DAY)).toBe(SealedCheck.Ok);
    expect(check(keys([KEY_B]), old, IDENT, CRED, T0, DAY)).toBe(SealedCheck.UnknownKey);
    const fresh = sealSession(keys([KEY_B, KEY_A]), SID, IDENT, CRED, T0, nonce(9))!;
    expect(check(keys([KEY_B]), fresh, IDENT, CRED, T0, DAY)).toBe(SealedCheck.Ok);
    expect(check(keys([KEY_A]), fresh, IDENT, CRED, T0, DAY)).toBe(SealedCheck.UnknownKey);
    expect(check(keys([KEY_A, KEY_B]), fresh, IDENT, CRED, T0, DAY)).toBe(SealedCheck.Ok);
  });
});

describe("OpenedTokens: a worker's cache of opened tokens", () => {
  it("a sealed token is remembered; a hit still checks age, credential and backend", () => {
    const cache = new OpenedTokens(8);
    const ks = keys([KEY_A]);
    const t = sealSession(ks, SID, IDENT, CRED, T0, nonce(3), cache)!;
    expect(cache.size).toBe(1);
    expect(cache.get(t)!.backendSessionId).toBe(SID);
    const other = backendIdentity("other", parseUrl("http://127.0.0.1:8080/mcp")!);
    expect(openSession(ks, t, IDENT, CRED, T0, DAY, cache).backendSessionId).toBe(SID);
    expect(sealedCheckName(openSession(ks, t, IDENT, CRED, T0 + DAY + 1, DAY, cache).check)).toBe("older than sessionMaxAge");
    expect(sealedCheckName(openSession(ks, t, IDENT, "Bearer other", T0, DAY, cache).check)).toBe("another credential");
    expect(sealedCheckName(openSession(ks, t, other, CRED, T0, DAY, cache).check)).toBe("another backend");
  });
  it("a token that differs anywhere, even with the same nonce characters, is no hit and does not open", () => {
    const cache = new OpenedTokens(8);
    const ks = keys([KEY_A]);
    const t = sealSession(ks, SID, IDENT, CRED, T0, nonce(3), cache)!;
    const positions: i32[] = [0, 3, 40, 100, t.length - 3];
    for (let i = 0; i < positions.length; i++) {
      const p = positions[i];
      const c = t.charCodeAt(p) == 0x41 ? "B" : "A";
      const forged = t.substring(0, p) + c + t.substring(p + 1);
      expect(cache.get(forged) === null).toBe(true, p.toString());
      expect(openSession(ks, forged, IDENT, CRED, T0, DAY, cache).check == SealedCheck.Ok).toBe(false, p.toString());
    }
    expect(cache.get(t.substring(0, t.length - 1)) === null).toBe(true);
    expect(cache.get("short") === null).toBe(true);
  });
  it("an opened token is remembered only when authentic", () => {
    const cache = new OpenedTokens(8);
    const t = sealA();
    expect(openSession(keys([KEY_B]), t, IDENT, CRED, T0, DAY, cache).check).toBe(SealedCheck.UnknownKey);
    expect(cache.size).toBe(0);
    expect(openSession(keys([KEY_A]), t, IDENT, CRED, T0, DAY, cache).check).toBe(SealedCheck.Ok);
    expect(cache.size).toBe(1);
    expect(cache.get(t) !== null).toBe(true);
  });
  it("stays bounded: two generations of `capacity`, recently used tokens kept", () => {
    const cache = new OpenedTokens(4);
    const ks = keys([KEY_A]);
    const first = sealSession(ks, SID, IDENT, CRED, T0, nonce(100), cache)!;
    for (let i = 0; i < 20; i++) {
      sealSession(ks, SID, IDENT, CRED, T0, nonce(i), cache);
      expect(cache.size).toBeLessThanOrEqual(8);
      expect(cache.get(first) !== null).toBe(true, "used on every round: " + i.toString());
    }
    const old = sealSession(ks, SID, IDENT, CRED, T0, nonce(200), cache)!;
    for (let i = 20; i < 30; i++) sealSession(ks, SID, IDENT, CRED, T0, nonce(i), cache);
    expect(cache.get(old) === null).toBe(true);
    expect(openSession(ks, old, IDENT, CRED, T0, DAY, cache).check).toBe(SealedCheck.Ok);
  });
});

const PT = '"name":"d","type":"mcp-passthrough","mcpServerURL":"http://h/mcp"';

describe("session settings in the configuration", () => {
  it("without keys: the shared-data table, no warnings", () => {
    const c = parseConfig('{"server":{' + PT + ',"sessionIdleTimeout":60,"maxSessions":5}}').config!;
    expect(c.sessions.sealed).toBe(false);
    expect(c.sessions.idleMs).toBe(60000);
    expect(c.sessions.maxSessions).toBe(5);
    expect(c.sessions.warnings.length).toBe(0);
  });
  it("with keys: sealed ids, sessionMaxAge (default one day), keys in order", () => {
    let c = parseConfig('{"server":{' + PT + ',"sessionKeys":["' + KEY_B + '","' + KEY_A + '"]}}').config!;
    expect(c.sessions.sealed).toBe(true);
    expect(c.sessions.keys!.keys.length).toBe(2);
    expect(c.sessions.keys!.keys[0].id).toBe(keys([KEY_B]).keys[0].id);
    expect(c.sessions.maxAgeMs).toBe(<i64>DEFAULT_SESSION_MAX_AGE_S * 1000);
    c = parseConfig('{"server":{' + PT + ',"sessionKeys":["' + KEY_A + '"],"sessionMaxAge":120}}').config!;
    expect(c.sessions.maxAgeMs).toBe(120000);
    expect(c.sessions.warnings.length).toBe(0);
  });
  it("warns about settings that do not apply, naming them", () => {
    let w = parseConfig('{"server":{' + PT + ',"sessionKeys":["' + KEY_A + '"],"sessionIdleTimeout":60,"maxSessions":5}}').config!.sessions.warnings;
    expect(w.length).toBe(2);
    expect(w[0].startsWith("server.sessionIdleTimeout does not apply")).toBe(true);
    expect(w[1].startsWith("server.maxSessions does not apply")).toBe(true);
    w = parseConfig('{"server":{' + PT + ',"sessionMaxAge":60}}').config!.sessions.warnings;
    expect(w.length).toBe(1);
    expect(w[0].startsWith("server.sessionMaxAge applies only with")).toBe(true);
    w = parseConfig('{"server":{"name":"d","type":"mcp-proxy","mcpServerURL":"http://h/mcp","sessionKeys":["' + KEY_A + '"]}}').config!.sessions.warnings;
    expect(w.length).toBe(1);
    expect(w[0].startsWith("server.sessionKeys has no effect in mcp-proxy mode")).toBe(true);
    for (let i = 0; i < w.length; i++) expect(w[i].includes(KEY_A.substr(0, 12))).toBe(false);
  });
  it("refuses bad keys and ages naming the field and index, never echoing key material (table)", () => {
    const short = encodeBase64(nonce(1).subarray(0, 16), false);
    const inputs: string[] = [
      '"sessionKeys":[]', '"sessionKeys":"' + KEY_A + '"', '"sessionKeys":["' + KEY_A + '",7]',
      '"sessionKeys":["' + KEY_A + '","' + short + '"]', '"sessionKeys":["' + KEY_A + '","' + KEY_B + '!"]',
      '"sessionKeys":["' + KEY_A + '","' + KEY_A + '"]',
      '"sessionKeys":["' + KEY_A + '"],"sessionMaxAge":0', '"sessionKeys":["' + KEY_A + '"],"sessionMaxAge":' + (MAX_SESSION_MAX_AGE_S + 1).toString(),
      '"sessionMaxAge":"1d"',
    ];
    const fields: string[] = [
      "server.sessionKeys: at least one", "server.sessionKeys must be an array", "server.sessionKeys[1] must be a string",
      "server.sessionKeys[1]: decodes to 16 bytes", "server.sessionKeys[1]: not base64", "server.sessionKeys[1]: same key id as server.sessionKeys[0]",
      "server.sessionMaxAge must be an integer between 1 and 2592000", "server.sessionMaxAge must be", "server.sessionMaxAge must be",
    ];
    for (let i = 0; i < inputs.length; i++) {
      const r = parseConfig('{"server":{' + PT + "," + inputs[i] + "}}");
      expect(r.config === null).toBe(true, inputs[i]);
      expect(r.error.startsWith(fields[i])).toBe(true, r.error);
      expect(r.error.includes(KEY_A.substr(0, 12))).toBe(false, r.error);
      expect(r.error.includes(KEY_B.substr(0, 12))).toBe(false, r.error);
      expect(r.error.includes(short.substr(0, 12))).toBe(false, r.error);
    }
    const space = parseConfig('{"server":{' + PT + ',"sessionKeys":["no pe"]}}');
    expect(space.error).toBe("server.sessionKeys[0]: not base64 (RFC 4648 §4 or §5)");
  });
});
