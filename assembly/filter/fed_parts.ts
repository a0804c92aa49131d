// The pieces of a federated request (filter/federate.ts): what it needs of the client's
// request, and one backend's part — its list so far, its call, the credential it sends, and
// what its pages said about caching.
import { Config } from "../config/config";
import { Federation } from "../config/federation";
import { PageHints, cacheTtl } from "../federation/listcache";
import { BackendList } from "../federation/merge";
import { Header, HeaderView } from "../host/host";
import { CallParams } from "../mcp/params";
import { ToolPolicy, effectivePolicy } from "../mcp/tools";
import { TraceContext } from "../stats/trace";
import { ClientSide } from "../terminate/exchange";
import { Owner } from "../terminate/reuse";
import { AuthOutcome } from "./auth";
import { BackendCall } from "./backend";

/** What a federated request needs of the client's request. */
export class FedRequest {
  constructor(
    public streamId: u32,
    public rootId: u32,
    public method: string,
    public idRaw: string,
    public params: CallParams,
    /** The server's policy (allowTools, the header, authorization), on the names clients see. */
    public policy: ToolPolicy,
    public client: ClientSide,
    public version: string,
    public headers: HeaderView,
    public bodySize: u32,
    public corsHeaders: Header[],
  ) {}

  /** The client's trace context, copied onto every backend call (filter/trace.ts). */
  trace: TraceContext | null = null;
}

/** One backend's part of a federated request. */
export class Part {
  list: BackendList;
  call: BackendCall | null = null;
  cluster: string = "";
  auth: AuthOutcome = new AuthOutcome();
  owner: Owner | null = null;
  /** Of the whole list (every page); 0 until the first page is fetched. */
  deadlineMs: i64 = 0;
  pages: i32 = 0;
  /** The backend's list generation when the fetch began (a list_changed since stales it). */
  generation: i64 = 0;
  /** The shortest `ttlMs` of the pages, and whether every page said `public` (modern). */
  minTtlMs: i64 = -1;
  allPublic: bool = true;
  done: bool = false;

  constructor(public config: Config) {
    this.list = new BackendList(config.backendName, config.prefix, effectivePolicy(config.allowTools, null));
  }

  /** Takes one page's caching hints into account. */
  noteHints(h: PageHints): void {
    if (this.minTtlMs < 0 || h.ttlMs < this.minTtlMs) this.minTtlMs = h.ttlMs;
    if (!h.isPublic) this.allPublic = false;
  }

  /**
   * The list is whole (`modern`: the backend speaks 2026-07-28): the part counts as answered,
   * with the ttlMs and scope a client may assume — the backend's own word (capped), or the
   * operator's opt-in for a legacy backend. Returns how long the gateway may cache it (0: not).
   */
  finish(modern: bool, f: Federation): i64 {
    const said = this.minTtlMs < 0 ? 0 : this.minTtlMs;
    const ttl = cacheTtl(modern, this.allPublic, said, f.listCacheTtlMs, f.listCacheMaxTtlMs);
    this.list.ok = true;
    this.list.ttlMs = modern ? (said < f.listCacheMaxTtlMs ? said : f.listCacheMaxTtlMs) : ttl;
    this.list.isPublic = modern && this.allPublic;
    this.done = true;
    return ttl;
  }
}
