// UTF-8 well-formedness (RFC 3629 §4; JSON text exchanged between systems MUST be UTF-8,
// RFC 8259 §8.1). AssemblyScript's decoder is lenient — it maps overlong forms and drops a
// truncated sequence at the end — so bytes are checked before they are read as JSON.

/** True when `b` is well-formed UTF-8: no overlong forms, surrogates, or values past U+10FFFF. */
export function isUtf8(b: Uint8Array): bool {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = <u32>unchecked(b[i]);
    if (c < 0x80) {
      i++;
      continue;
    }
    let len = 0;
    let lo: u32 = 0x80;
    let hi: u32 = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      if (c == 0xe0) lo = 0xa0; // overlong
      else if (c == 0xed) hi = 0x9f; // surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      if (c == 0xf0) lo = 0x90; // overlong
      else if (c == 0xf4) hi = 0x8f; // past U+10FFFF
    } else return false;
    if (i + len > n) return false;
    const c1 = <u32>unchecked(b[i + 1]);
    if (c1 < lo || c1 > hi) return false;
    for (let k = 2; k < len; k++) {
      const ck = <u32>unchecked(b[i + k]);
      if (ck < 0x80 || ck > 0xbf) return false;
    }
    i += len;
  }
  return true;
}
