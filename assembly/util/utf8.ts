// Strict UTF-8 (RFC 3629 §4): the reading every backend agrees on. AssemblyScript's
// String.UTF8.decode swallows the byte after an invalid lead byte — even a closing quote —
// where Node, Python and Go substitute U+FFFD and keep it, so a body that is not strictly
// valid UTF-8 is read differently by the gateway and by a backend.

/** Index of the first byte of an invalid UTF-8 sequence in `b`, or -1 when all is valid. */
export function firstInvalidUtf8(b: Uint8Array): i32 {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = <u32>unchecked(b[i]);
    if (c < 0x80) {
      i++;
      continue;
    }
    let need = 0;
    let min: u32 = 0;
    let cp: u32 = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      min = 0x80;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      min = 0x800;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      min = 0x10000;
      cp = c & 0x07;
    } else {
      return i; // a continuation byte, C0/C1 (overlong) or F5..FF lead
    }
    if (i + need >= n) return i; // truncated sequence
    for (let k = 1; k <= need; k++) {
      const cc = <u32>unchecked(b[i + k]);
      if ((cc & 0xc0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are invalid.
    if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return i;
    i += need + 1;
  }
  return -1;
}

/** True when `b` is strictly valid UTF-8. */
export function isValidUtf8(b: Uint8Array): bool {
  return firstInvalidUtf8(b) < 0;
}
