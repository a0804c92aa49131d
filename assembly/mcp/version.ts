// MCP protocol version negotiation (spec: basic/lifecycle, "Version Negotiation"): when the
// server supports the version the client asked for it answers with the same one, otherwise
// with the latest version it supports; the client then decides whether to continue.

/** Versions the gateway speaks, oldest first. */
export const SUPPORTED_VERSIONS: string[] = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];

/** The newest supported version. */
export const LATEST_VERSION = "2025-11-25";

/** True when `v` is one of SUPPORTED_VERSIONS. */
export function isSupported(v: string): bool {
  for (let i = 0; i < SUPPORTED_VERSIONS.length; i++) {
    if (unchecked(SUPPORTED_VERSIONS[i]) == v) return true;
  }
  return false;
}

/** The version the gateway answers to a client that requested `requested`. */
export function negotiate(requested: string): string {
  return isSupported(requested) ? requested : LATEST_VERSION;
}
