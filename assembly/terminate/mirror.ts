// SEP-2243 parameter mirroring for a client that cannot do it: a modern backend refuses a
// tools/call whose `x-mcp-header` arguments lack their `Mcp-Param-*` headers (-32020), and a
// 2025-era client does not know those arguments. The exchange then reads the tool's definition
// with its own tools/list (page by page), builds the headers from the call's arguments, and
// calls again — once. Pure: the exchange (terminate/exchange.ts) sends what this asks for.
import { Header } from "../http/header";
import * as codes from "../jsonrpc/codes";
import { Reply, request } from "../jsonrpc/message";
import { quote } from "../jsonrpc/scan";
import { backendMeta, findTool, nextCursorOf, paramHeaders } from "../mcp/params";

/** JSON-RPC id of the gateway's own tools/list (reading a tool's x-mcp-header arguments). */
// @ts-ignore: decorator
@inline export const LIST_ID: i32 = 3;
/** Pages of tools/list read to find a tool before giving up. */
// @ts-ignore: decorator
@inline const MAX_LIST_PAGES: i32 = 10;

/** What a tools/list page decided. */
export enum MirrorStep {
  /** The tool's headers are known: call again with them. */
  Call,
  /** The tool is not on this page: read the next one. */
  NextPage,
  /** Nothing to mirror: the backend's refusal stands. */
  GiveUp,
}

/** The mirroring state of one exchange. */
export class ParamMirror {
  private cursor: string = "";
  private pages: i32 = 0;
  private tried: bool = false;
  /** The backend's -32020 refusal: the client's answer if mirroring fails. */
  refusal: Reply | null = null;
  /** The headers found for the call (after MirrorStep.Call). */
  headers: Header[] = [];

  /** True when `r` refuses a tools/call for missing headers the client could not send (first time only). */
  wants(r: Reply, method: string, clientSentParams: bool): bool {
    if (!r.isError || r.code != codes.HEADER_MISMATCH || this.tried || method != "tools/call" || clientSentParams) return false;
    this.refusal = r;
    return true;
  }

  /** The body of the next tools/list page request. */
  listBody(): string {
    const cursor = this.cursor.length > 0 ? '"cursor":' + quote(this.cursor) + "," : "";
    return request(LIST_ID, "tools/list", "{" + cursor + '"_meta":' + backendMeta("") + "}");
  }

  /** A tools/list page (`resultRaw`, null when the backend failed it): find `tool` and mirror `argsRaw`. */
  onPage(resultRaw: string | null, tool: string, argsRaw: string): MirrorStep {
    this.pages++;
    if (resultRaw === null) return MirrorStep.GiveUp;
    const def = findTool(resultRaw, tool);
    if (def.length > 0) {
      this.tried = true;
      this.headers = paramHeaders(def, argsRaw);
      return this.headers.length > 0 ? MirrorStep.Call : MirrorStep.GiveUp;
    }
    const next = nextCursorOf(resultRaw);
    if (next === null || this.pages >= MAX_LIST_PAGES) return MirrorStep.GiveUp;
    this.cursor = next!;
    return MirrorStep.NextPage;
  }
}
