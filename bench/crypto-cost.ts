// Scratch entry for bench/crypto-cost.mjs: seal/open loops over a typical session token, built
// without the proxy-wasm host so plain Node can run it. Not part of the filter.
import { open, OpenStatus, parseSessionKeys, seal, SealKeys, SessionFields, hashCredential } from "../assembly/crypto/seal";
import { xchacha20Poly1305Open, xchacha20Poly1305Seal } from "../assembly/crypto/aead";
import { decodeBase64, encodeBase64 } from "../assembly/util/base64";

const KEYS: SealKeys = parseSessionKeys(["ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=", "QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8="]).keys!;
// 36-byte UUID session id + 40-byte identity: 120 bytes of plaintext, a 220-character token.
const FIELDS = new SessionFields("3f2a9c1e-7b4d-4e8a-9f60-0c1d2e3f4a5b", "mcp-backend|http://10.0.0.12:8080/mcp/v1",
  hashCredential("Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.sig"), 1767225600123);
const NONCE = new Uint8Array(24);
let token = "";

/** Length of the benchmark token. */
export function tokenLength(): i32 {
  token = seal(KEYS, FIELDS, NONCE)!;
  return token.length;
}

/** `n` seals (a fresh nonce each time, as random_get would give); returns n. */
export function sealLoop(n: i32): i32 {
  for (let i = 0; i < n; i++) {
    store<i32>(NONCE.dataStart, i);
    token = seal(KEYS, FIELDS, NONCE)!;
  }
  return n;
}

/** `n` opens of the last token; returns how many were Ok. */
export function openLoop(n: i32): i32 {
  let ok = 0;
  for (let i = 0; i < n; i++) if (open(KEYS, token).status == OpenStatus.Ok) ok++;
  return ok;
}

/** `n` seal+open pairs; returns how many opened Ok. */
export function roundTripLoop(n: i32): i32 {
  let ok = 0;
  for (let i = 0; i < n; i++) {
    store<i32>(NONCE.dataStart, i);
    if (open(KEYS, seal(KEYS, FIELDS, NONCE)!).status == OpenStatus.Ok) ok++;
  }
  return ok;
}

/** `n` bare XChaCha20-Poly1305 seal+open pairs over 120 bytes (the AEAD share of the cost). */
export function aeadLoop(n: i32): i32 {
  const key = KEYS.keys[0].aeadKey;
  const pt = new Uint8Array(120);
  const aad = new Uint8Array(5);
  let ok = 0;
  for (let i = 0; i < n; i++) {
    store<i32>(NONCE.dataStart, i);
    if (xchacha20Poly1305Open(key, NONCE, xchacha20Poly1305Seal(key, NONCE, pt, aad)!, aad) !== null) ok++;
  }
  return ok;
}

/** `n` base64url encode+decode pairs of a 165-byte token (the encoding share). */
export function base64Loop(n: i32): i32 {
  const raw = new Uint8Array(165);
  let ok = 0;
  for (let i = 0; i < n; i++) if (decodeBase64(encodeBase64(raw, true), true) !== null) ok++;
  return ok;
}
