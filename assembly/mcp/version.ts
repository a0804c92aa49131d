// MCP protocol versions and eras (spec 2026-07-28: basic/versioning).
//   Legacy (2025-11-25 and earlier): a session opens with `initialize`, which negotiates the
//   version: the server answers with the client's version when it supports it, else with the
//   latest it supports (basic/lifecycle, "Version Negotiation").
//   Modern (2026-07-28): no handshake; every request carries its version in
//   `_meta["io.modelcontextprotocol/protocolVersion"]` and the `MCP-Protocol-Version` header.

/** Legacy versions the gateway speaks, oldest first. */
export const LEGACY_VERSIONS: string[] = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];

/** The modern (stateless) revision the gateway speaks. */
export const MODERN_VERSION = "2026-07-28";

/** The newest legacy version: what `initialize` negotiates down to. */
export const LATEST_VERSION = "2025-11-25";

/** Every version the gateway speaks, newest first (the `supported` list of -32022). */
export const ALL_VERSIONS: string[] = [MODERN_VERSION, "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

/** True when `v` is one of the legacy versions (an `initialize`-era version). */
export function isSupported(v: string): bool {
  for (let i = 0; i < LEGACY_VERSIONS.length; i++) {
    if (unchecked(LEGACY_VERSIONS[i]) == v) return true;
  }
  return false;
}

/** True when `v` is the modern revision. */
export function isModern(v: string): bool {
  return v == MODERN_VERSION;
}

/** True when the gateway speaks `v` in either era. */
export function isKnownVersion(v: string): bool {
  return isModern(v) || isSupported(v);
}

/** The version the gateway answers a legacy `initialize` that requested `requested`. */
export function negotiate(requested: string): string {
  return isSupported(requested) ? requested : LATEST_VERSION;
}

/** `ALL_VERSIONS` as a JSON array. */
export function supportedVersionsJson(): string {
  return '["' + ALL_VERSIONS.join('","') + '"]';
}
