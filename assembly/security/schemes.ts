// Security schemes as Higress's mcp-server plugin defines them (OpenAPI-style): how a
// credential travels — `http` bearer/basic in Authorization, or an `apiKey` in a header or
// a query parameter — and the requirements that name a scheme on each side of the gateway.

/** `type` of a scheme. */
export enum SchemeType {
  Http,
  ApiKey,
}

/** `scheme` of an http scheme. */
export enum HttpAuth {
  None,
  Bearer,
  Basic,
}

/** `in` of an apiKey scheme. */
export enum KeyIn {
  None,
  Header,
  Query,
}

/** One entry of `server.securitySchemes`. */
export class SecurityScheme {
  id: string = "";
  type: SchemeType = SchemeType.Http;
  auth: HttpAuth = HttpAuth.None;
  keyIn: KeyIn = KeyIn.None;
  /** Header or query parameter name (apiKey). */
  name: string = "";
  defaultCredential: string = "";

  /** True when the credential travels in the Authorization header. */
  get usesAuthorization(): bool {
    return this.type == SchemeType.Http;
  }

  /** The header the credential travels in ("" for a query parameter). */
  get headerName(): string {
    if (this.type == SchemeType.Http) return "authorization";
    return this.keyIn == KeyIn.Header ? this.name.toLowerCase() : "";
  }
}

/** Client → gateway: where the client's credential is, and what to do with it. */
export class DownstreamRequirement {
  constructor(public scheme: SecurityScheme, public passthrough: bool, public required: bool) {}
}

/** Gateway → backend: the scheme to write and the configured credential ("" = none). */
export class UpstreamRequirement {
  constructor(public scheme: SecurityScheme, public credential: string) {}
}

/** Per-tool overrides (`tools[].security`, `tools[].requestTemplate.security`). */
export class ToolSecurity {
  downstream: DownstreamRequirement | null = null;
  upstream: UpstreamRequirement | null = null;
}

/** The security part of one configuration. */
export class SecurityConfig {
  schemes: SecurityScheme[] = [];
  downstream: DownstreamRequirement | null = null;
  upstream: UpstreamRequirement | null = null;
  passthroughAuthHeader: bool = false;
  tools: Map<string, ToolSecurity> = new Map<string, ToolSecurity>();
  /** Every `tools[].name`, in order (the stats' known tools). */
  toolNames: string[] = [];

  /** True when some tool has security of its own: its calls are a policy to enforce. */
  get hasToolRules(): bool {
    return this.tools.size > 0;
  }

  /** The scheme with `id`, or null. */
  scheme(id: string): SecurityScheme | null {
    for (let i = 0; i < this.schemes.length; i++) if (this.schemes[i].id == id) return this.schemes[i];
    return null;
  }

  /** The downstream requirement for a request (`tool` "" for anything but tools/call). */
  downstreamFor(tool: string): DownstreamRequirement | null {
    if (tool.length > 0 && this.tools.has(tool)) {
      const t = this.tools.get(tool);
      if (t.downstream !== null) return t.downstream;
    }
    return this.downstream;
  }

  /** The upstream requirement for a request (`tool` "" for anything but tools/call). */
  upstreamFor(tool: string): UpstreamRequirement | null {
    if (tool.length > 0 && this.tools.has(tool)) {
      const t = this.tools.get(tool);
      if (t.upstream !== null) return t.upstream;
    }
    return this.upstream;
  }
}
