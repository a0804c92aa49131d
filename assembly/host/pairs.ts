// The proxy-wasm serialized header pairs, read and written without the host: u32 count, then
// count × (u32 keyLen, u32 valLen), then each key and value followed by a NUL byte.
// host.ts gets the bytes from the host and re-exports these.
import { Header } from "../http/header";

/**
 * A header map read once, in the host's serialized form, decoded lazily: a lookup compares
 * names byte by byte and decodes only the values asked for (decoding every name and value of
 * every request was a measurable share of the filter's own time).
 */
export class HeaderView {
  private base: usize = 0;
  private count: usize = 0;
  private total: usize = 0;

  constructor(private buf: ArrayBuffer) {
    const total = <usize>buf.byteLength;
    const base = changetype<usize>(buf);
    const count = total >= 4 ? <usize>load<u32>(base) : 0;
    if (total >= 4 && count <= (total - 4) / 8) {
      this.base = base;
      this.count = count;
      this.total = total;
    }
  }

  /** The first value of `name` (lower case), or null. */
  get(name: string): string | null {
    const all = this.scan(name, true);
    return all.length > 0 ? all[0] : null;
  }

  /** Every value of `name` (lower case), in order. */
  all(name: string): string[] {
    return this.scan(name, false);
  }

  /** Every header whose name starts with `prefix` (lower case). */
  withPrefix(prefix: string): Header[] {
    const out = new Array<Header>();
    this.walk(prefix, true, false, out);
    return out;
  }

  private scan(name: string, first: bool): string[] {
    const out = new Array<Header>();
    this.walk(name, false, first, out);
    const values = new Array<string>(out.length);
    for (let i = 0; i < out.length; i++) values[i] = out[i].value;
    return values;
  }

  /** Collects headers named `name` (or, with `prefix`, starting with it). */
  private walk(name: string, prefix: bool, first: bool, out: Header[]): void {
    const base = this.base;
    if (base == 0) return;
    // The view keeps `buf` alive; reading it directly is safe while `this` is.
    let data: usize = 4 + this.count * 8;
    const nl = <usize>name.length;
    for (let i: usize = 0; i < this.count; i++) {
      const kl = <usize>load<u32>(base + 4 + i * 8);
      const vl = <usize>load<u32>(base + 8 + i * 8);
      if (data + kl + vl + 2 > this.total) return;
      let match = prefix ? kl >= nl : kl == nl;
      for (let j: usize = 0; match && j < nl; j++) {
        if (<i32>load<u8>(base + data + j) != name.charCodeAt(<i32>j)) match = false;
      }
      if (match) {
        const k = prefix ? String.UTF8.decodeUnsafe(base + data, kl) : name;
        out.push(new Header(k, String.UTF8.decodeUnsafe(base + data + kl + 1, vl)));
        if (first) return;
      }
      data += kl + vl + 2;
    }
  }
}

/**
 * Decodes proxy-wasm serialized pairs: u32 count, then count × (u32 keyLen, u32 valLen),
 * then each key and value followed by a NUL byte. Bounds-checked: a short buffer yields
 * the pairs read so far.
 */
export function decodePairs(buf: ArrayBuffer): Header[] {
  const result = new Array<Header>();
  const total = <usize>buf.byteLength;
  if (total < 4) return result;
  const base = changetype<usize>(buf);
  const count = <usize>load<u32>(base);
  if (count > (total - 4) / 8) return result;
  let data: usize = 4 + count * 8;
  for (let i: usize = 0; i < count; i++) {
    const kl = <usize>load<u32>(base + 4 + i * 8);
    const vl = <usize>load<u32>(base + 8 + i * 8);
    if (data + kl + vl + 2 > total) break;
    const k = String.UTF8.decodeUnsafe(base + data, kl);
    data += kl + 1;
    const v = String.UTF8.decodeUnsafe(base + data, vl);
    data += vl + 1;
    result.push(new Header(k, v));
  }
  return result;
}

/** Serializes pairs into the proxy-wasm format (see decodePairs). */
export function encodePairs(headers: Header[]): ArrayBuffer {
  const keys = new Array<ArrayBuffer>(headers.length);
  const vals = new Array<ArrayBuffer>(headers.length);
  let size = 4;
  for (let i = 0; i < headers.length; i++) {
    keys[i] = String.UTF8.encode(headers[i].name);
    vals[i] = String.UTF8.encode(headers[i].value);
    size += 8 + keys[i].byteLength + vals[i].byteLength + 2;
  }
  const buf = new ArrayBuffer(size);
  const base = changetype<usize>(buf);
  store<u32>(base, headers.length);
  let data = base + 4 + <usize>headers.length * 8;
  for (let i = 0; i < headers.length; i++) {
    const kl = keys[i].byteLength;
    const vl = vals[i].byteLength;
    store<u32>(base + 4 + <usize>i * 8, kl);
    store<u32>(base + 8 + <usize>i * 8, vl);
    memory.copy(data, changetype<usize>(keys[i]), kl);
    data += kl + 1;
    memory.copy(data, changetype<usize>(vals[i]), vl);
    data += vl + 1;
  }
  return buf;
}
