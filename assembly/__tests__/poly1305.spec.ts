import { poly1305, Poly1305 } from "../crypto/poly1305";
import { POLY_VECTORS } from "./vectors/rfc8439";
import { fromHex, toHex } from "./vectors/hex";

describe("Poly1305 (RFC 8439)", () => {
  it("§2.5.2 and A.3 #1-#11, including the reduction edge cases #5-#11", () => {
    expect(POLY_VECTORS.length).toBe(12);
    for (let i = 0; i < POLY_VECTORS.length; i++) {
      const v = POLY_VECTORS[i];
      expect(v.name + " " + toHex(poly1305(fromHex(v.key), fromHex(v.msg)))).toBe(v.name + " " + v.tag);
    }
  });
  it("gives the published tags when the message arrives in chunks of every size 1..17", () => {
    for (let i = 0; i < POLY_VECTORS.length; i++) {
      const v = POLY_VECTORS[i];
      const msg = fromHex(v.msg);
      for (let step = 1; step <= 17; step++) {
        const mac = new Poly1305(fromHex(v.key));
        for (let off = 0; off < msg.length; off += step) mac.update(msg.subarray(off, min(off + step, msg.length)));
        expect(v.name + "/" + step.toString() + " " + toHex(mac.finish())).toBe(v.name + "/" + step.toString() + " " + v.tag);
      }
    }
  });
  it("returns null for a key that is not 32 bytes", () => {
    expect(poly1305(new Uint8Array(16), new Uint8Array(0))).toBeNull();
  });
});
