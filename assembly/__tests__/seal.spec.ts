import { credentialMatches, hashCredential, MAX_TOKEN_CHARS, open, OpenStatus, openStatusName, parseSessionKeys, seal,
  SealKey, SealKeys, SessionFields } from "../crypto/seal";
import { xchacha20Poly1305Seal } from "../crypto/aead";
import { hmacSha256 } from "../crypto/sha256";
import { decodeBase64, encodeBase64 } from "../util/base64";
import { toHex, utf8 } from "./vectors/hex";

// Two configured keys: bytes 0x20..0x3f and 0x40..0x5f, as `openssl rand -base64 32` prints them.
const KEY_A = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";
const KEY_B = "QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8=";
const NONCE = bytesFrom(0xa0, 24);
const FIELDS = new SessionFields("3f2a9c1e-7b4d-4e8a-9f60-0c1d2e3f4a5b", "backend|http://127.0.0.1:8080/mcp",
  hashCredential("Bearer token-123"), 1767225600123);
// The token for KEY_A, NONCE and FIELDS, computed independently (Python: HMAC-SHA256 from hashlib,
// HChaCha20 per draft-irtf-cfrg-xchacha-03 §2.2, ChaCha20-Poly1305 from pyca/cryptography) from
// the layout documented in seal.ts; it pins the wire format.
const KAT_TOKEN = "AQO-MYqgoaKjpKWmp6ipqqusra6vsLGys7S1trespCKL16GbMMLFFzMuwPCnorDjVyRwW0xmorpiaZODS7ow4UrY6I83uO2a0CCEtMUM3dF8LVAgkIbb3kX-mXl9lzMNI1ckXpIhkjm271xenz9kcNqeehQKbr796kkihANeTIwWrRP68VTFZzESqL_iGRt0uljJs6I-_5JepI8JyEc";

function bytesFrom(first: i32, n: i32): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = <u8>(first + i);
  return b;
}

function keys(list: string[]): SealKeys {
  return parseSessionKeys(list).keys!;
}

function sealA(f: SessionFields): string {
  return seal(keys([KEY_A]), f, NONCE)!;
}

function statusOf(ks: SealKeys, token: string): string {
  return openStatusName(open(ks, token).status);
}

describe("parseSessionKeys", () => {
  it("accepts padded §4 and unpadded §5 base64 of 32 bytes, first key first", () => {
    const r = parseSessionKeys([KEY_A, "QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8"]);
    expect(r.error).toBe("");
    expect(r.keys!.keys.length).toBe(2);
    expect(r.keys!.keys[1].id).toBe(keys([KEY_B]).keys[0].id);
  });
  it("derives the key id and AEAD subkey with HMAC-SHA256 under fixed labels", () => {
    const raw = decodeBase64(KEY_A, false)!;
    const k = keys([KEY_A]).keys[0];
    const kid = hmacSha256(raw, utf8("mcp-proxy-wasm/session/kid"));
    expect(k.id).toBe(load<u32>(kid.dataStart));
    expect(toHex(k.aeadKey)).toBe(toHex(hmacSha256(raw, utf8("mcp-proxy-wasm/session/aead"))));
    expect(toHex(k.aeadKey)).not.toBe(toHex(raw));
  });
  it("refuses bad lists, naming the entry and never echoing it (table)", () => {
    const short = encodeBase64(bytesFrom(1, 16), false);
    const long = encodeBase64(bytesFrom(1, 33), false);
    const lists: string[][] = [[], [KEY_A, "not base64!"], [short], [KEY_A, KEY_B, long], [KEY_A, KEY_B, KEY_A], [""], [KEY_A + " "]];
    const errors: string[] = [
      "sessionKeys: at least one key is required",
      "sessionKeys[1]: not base64 (RFC 4648 §4 or §5)",
      "sessionKeys[0]: decodes to 16 bytes; a key must be exactly 32 (`openssl rand -base64 32`)",
      "sessionKeys[2]: decodes to 33 bytes; a key must be exactly 32 (`openssl rand -base64 32`)",
      "sessionKeys[2]: same key id as sessionKeys[0] (a repeated key, or a 1 in 2^32 accident: generate another)",
      "sessionKeys[0]: decodes to 0 bytes; a key must be exactly 32 (`openssl rand -base64 32`)",
      "sessionKeys[0]: not base64 (RFC 4648 §4 or §5)",
    ];
    for (let i = 0; i < lists.length; i++) {
      const r = parseSessionKeys(lists[i]);
      expect(r.keys === null).toBe(true);
      expect(r.error).toBe(errors[i]);
      expect(r.error.includes(KEY_A.substr(0, 8))).toBe(false);
    }
    expect(parseSessionKeys([short], "server.sessionKeys").error.startsWith("server.sessionKeys[0]: ")).toBe(true);
  });
});

describe("seal / open", () => {
  it("produces the independently computed token (wire format)", () => {
    expect(sealA(FIELDS)).toBe(KAT_TOKEN);
  });
  it("round-trips every field", () => {
    const r = open(keys([KEY_A]), KAT_TOKEN);
    expect(r.status).toBe(OpenStatus.Ok);
    const f = r.fields!;
    expect(f.backendSessionId).toBe(FIELDS.backendSessionId);
    expect(f.backendIdentity).toBe(FIELDS.backendIdentity);
    expect(toHex(f.credentialHash)).toBe(toHex(FIELDS.credentialHash));
    expect(f.issuedAtMs).toBe(1767225600123);
    expect(credentialMatches(f, hashCredential("Bearer token-123"))).toBe(true);
    expect(credentialMatches(f, hashCredential("Bearer token-124"))).toBe(false);
  });
  it("round-trips empty strings, non-ASCII, a negative time and the largest field sizes that fit", () => {
    const cases: SessionFields[] = [
      new SessionFields("", "", new Uint8Array(32), 0),
      new SessionFields("sé-ß", "集群|https://例え.jp/mcp", hashCredential(""), -1),
      new SessionFields("x".repeat(1000), "y".repeat(447), hashCredential("c"), i64.MAX_VALUE),
    ];
    for (let i = 0; i < cases.length; i++) {
      const token = sealA(cases[i]);
      expect(token.length <= MAX_TOKEN_CHARS).toBe(true);
      const f = open(keys([KEY_A]), token).fields!;
      expect(f.backendSessionId).toBe(cases[i].backendSessionId);
      expect(f.backendIdentity).toBe(cases[i].backendIdentity);
      expect(toHex(f.credentialHash)).toBe(toHex(cases[i].credentialHash));
      expect(f.issuedAtMs).toBe(cases[i].issuedAtMs);
    }
  });
  it("gives a different token for a different nonce, both opening to the same fields", () => {
    const other = bytesFrom(0x10, 24);
    const t2 = seal(keys([KEY_A]), FIELDS, other)!;
    expect(t2).not.toBe(KAT_TOKEN);
    expect(t2.substr(0, 6)).toBe(KAT_TOKEN.substr(0, 6)); // the 36 bits of version and key id it starts with
    expect(open(keys([KEY_A]), t2).fields!.backendSessionId).toBe(FIELDS.backendSessionId);
  });
  it("refuses to seal what it could not open: long fields, bad nonce or hash length", () => {
    expect(seal(keys([KEY_A]), new SessionFields("x".repeat(1000), "y".repeat(448), new Uint8Array(32), 0), NONCE)).toBeNull();
    expect(seal(keys([KEY_A]), new SessionFields("x".repeat(70000), "", new Uint8Array(32), 0), NONCE)).toBeNull();
    expect(seal(keys([KEY_A]), FIELDS, bytesFrom(0, 12))).toBeNull();
    expect(seal(keys([KEY_A]), new SessionFields("s", "b", new Uint8Array(31), 0), NONCE)).toBeNull();
    expect(seal(new SealKeys([]), FIELDS, NONCE)).toBeNull();
  });
});

describe("key rotation", () => {
  it("opens a token sealed under A with [B, A] and seals new tokens under B", () => {
    const rotated = keys([KEY_B, KEY_A]);
    expect(statusOf(rotated, KAT_TOKEN)).toBe("ok");
    const fresh = seal(rotated, FIELDS, NONCE)!;
    expect(fresh.substr(0, 6)).not.toBe(KAT_TOKEN.substr(0, 6)); // B's key id
    expect(statusOf(keys([KEY_A, KEY_B]), fresh)).toBe("ok");
  });
  it("reports UnknownKey once A is dropped", () => {
    expect(statusOf(keys([KEY_B]), KAT_TOKEN)).toBe("unknown key");
  });
  it("reports BadTag for a key with A's id but another secret", () => {
    const impostor = new SealKeys([new SealKey(keys([KEY_A]).keys[0].id, keys([KEY_B]).keys[0].aeadKey)]);
    expect(statusOf(impostor, KAT_TOKEN)).toBe("bad tag");
  });
});

describe("open: malformed and tampered tokens never open, never throw (table)", () => {
  it("flags a flipped bit in every byte: version -> Malformed, key id -> UnknownKey, rest -> BadTag", () => {
    const raw = decodeBase64(KAT_TOKEN, true)!;
    const ks = keys([KEY_A]);
    for (let i = 0; i < raw.length; i++) {
      for (let bit: u8 = 0; bit < 8; bit += 3) {
        const bad = raw.slice();
        bad[i] = bad[i] ^ <u8>(1 << bit);
        const want = i == 0 ? "malformed" : i < 5 ? "unknown key" : "bad tag";
        expect(i.toString() + ": " + statusOf(ks, encodeBase64(bad, true))).toBe(i.toString() + ": " + want);
      }
    }
  });
  it("rejects every character replaced by another base64url character", () => {
    const ks = keys([KEY_A]);
    for (let i = 0; i < KAT_TOKEN.length; i++) {
      const c = KAT_TOKEN.charAt(i);
      const swapped = KAT_TOKEN.substr(0, i) + (c == "A" ? "B" : "A") + KAT_TOKEN.substr(i + 1);
      expect(open(ks, swapped).status).not.toBe(OpenStatus.Ok);
      expect(open(ks, swapped).fields === null).toBe(true);
    }
  });
  it("rejects every truncation and an appended character", () => {
    const ks = keys([KEY_A]);
    for (let n = 0; n < KAT_TOKEN.length; n++) {
      const s = open(ks, KAT_TOKEN.substr(0, n)).status;
      expect(s == OpenStatus.Malformed || s == OpenStatus.BadTag).toBe(true);
    }
    expect(KAT_TOKEN.length % 4).toBe(3);
    expect(statusOf(ks, KAT_TOKEN + "A")).toBe("bad tag"); // decodes to one more ciphertext byte
    expect(statusOf(ks, KAT_TOKEN + "AA")).toBe("malformed"); // a lone final character
  });
  it("rejects characters outside base64url, padding and whitespace as Malformed", () => {
    const ks = keys([KEY_A]);
    const inserts: string[] = ["+", "/", "=", " ", ".", "\n", "é", "\u0000"];
    for (let i = 0; i < inserts.length; i++) {
      expect(statusOf(ks, KAT_TOKEN.substr(0, 40) + inserts[i] + KAT_TOKEN.substr(41))).toBe("malformed");
      expect(statusOf(ks, KAT_TOKEN + inserts[i])).toBe("malformed");
    }
  });
  it("rejects empty, short and oversized tokens as Malformed before decoding", () => {
    const ks = keys([KEY_A]);
    expect(statusOf(ks, "")).toBe("malformed");
    expect(statusOf(ks, "AQ")).toBe("malformed");
    expect(statusOf(ks, "A".repeat(MAX_TOKEN_CHARS + 1))).toBe("malformed");
    expect(statusOf(ks, KAT_TOKEN + "A".repeat(MAX_TOKEN_CHARS))).toBe("malformed");
    expect(statusOf(ks, "A".repeat(MAX_TOKEN_CHARS))).toBe("malformed"); // version byte 0
  });
  it("reports Malformed for an authentic plaintext whose lengths do not add up", () => {
    // Sealed directly with the AEAD under A's subkey, so only the layout check can refuse it.
    const ks = keys([KEY_A]);
    const good = decodeBase64(KAT_TOKEN, true)!;
    const pt = new Uint8Array(44);
    pt[41] = 200; // session id length 200 > bytes left
    expect(statusOf(ks, resealed(good, pt))).toBe("malformed");
    const extra = new Uint8Array(45); // both lengths 0, one byte left over
    expect(statusOf(ks, resealed(good, extra))).toBe("malformed");
    expect(statusOf(ks, resealed(good, new Uint8Array(44)))).toBe("ok");
  });
});

/** A token with `good`'s header and nonce whose ciphertext is `pt` sealed under KEY_A. */
function resealed(good: Uint8Array, pt: Uint8Array): string {
  const k = keys([KEY_A]).keys[0];
  const sealed = xchacha20Poly1305Seal(k.aeadKey, good.subarray(5, 29), pt, good.subarray(0, 5))!;
  const raw = new Uint8Array(29 + sealed.length);
  raw.set(good.subarray(0, 29));
  raw.set(sealed, 29);
  return encodeBase64(raw, true);
}
