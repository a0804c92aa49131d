import {
  BackendStep, METHOD_BATCH, METHOD_DELETE, METHOD_GET, METHOD_INVALID, METHOD_LABELS, METHOD_OPTIONS, METHOD_UNKNOWN, OTHER_METHOD,
  OTHER_TOOL, STEP_LABELS, backendRequestsName, httpMethodLabel, methodOf, pseudoMethod, requestsName, sanitize, serverMetricName,
  toolCallsName, toolLabel,
} from "../stats/names";

/** Splits a stat name as the shipped tag rules do: `.key=value` segments after the metric's own name. */
function tagsOf(name: string): string[] {
  const parts = name.split(".");
  const out = new Array<string>();
  for (let i = 0; i < parts.length; i++) if (parts[i].includes("=")) out.push(parts[i]);
  return out;
}

describe("label values", () => {
  it("sanitizes to [A-Za-z0-9_-], bounded (table)", () => {
    const rows: string[][] = [
      ["demo-server", "demo-server"], ["demo.server", "demo_server"], ["a=b", "a_b"], ["a b", "a_b"],
      ["Ünï", "_n_"], ["", "_"], ["x/y", "x_y"], ["tools.call=ok.outcome=x", "tools_call_ok_outcome_x"], ["😀", "__"],
    ];
    for (let i = 0; i < rows.length; i++) expect(sanitize(rows[i][0], 64)).toBe(rows[i][1], rows[i][0]);
    expect(sanitize("a".repeat(200), 64).length).toBe(64);
  });

  it("keeps a tool literally named _other apart from the overflow label", () => {
    expect(toolLabel("_other")).not.toBe(OTHER_TOOL);
    expect(toolLabel("_other")).toBe("_other_");
    expect(toolLabel("get.weather")).toBe("get_weather");
  });

  it("labels known methods as themselves and everything else `other`", () => {
    const known: string[] = ["initialize", "tools/call", "tools/list", "server/discover", "subscriptions/listen", "notifications/initialized"];
    for (let i = 0; i < known.length; i++) expect(METHOD_LABELS[methodOf(known[i])]).toBe(known[i]);
    const unknown: string[] = ["", "tools/CALL", "x", "tools/call ", "other", "batch", "get", "invalid", "a".repeat(10000)];
    for (let i = 0; i < unknown.length; i++) expect(METHOD_LABELS[methodOf(unknown[i])]).toBe(OTHER_METHOD, unknown[i]);
  });

  it("has pseudo-methods for what is not one JSON-RPC request", () => {
    expect(METHOD_LABELS[pseudoMethod(METHOD_BATCH)]).toBe("batch");
    expect(METHOD_LABELS[pseudoMethod(METHOD_INVALID)]).toBe("invalid");
    expect(httpMethodLabel("GET")).toBe(METHOD_GET);
    expect(httpMethodLabel("DELETE")).toBe(METHOD_DELETE);
    expect(httpMethodLabel("OPTIONS")).toBe(METHOD_OPTIONS);
    expect(httpMethodLabel("POST")).toBe(METHOD_UNKNOWN);
    expect(httpMethodLabel("PUT")).toBe(METHOD_UNKNOWN);
  });

  it("has a bounded label space: no label holds `.` or `=`", () => {
    for (let i = 0; i < METHOD_LABELS.length; i++) {
      expect(METHOD_LABELS[i].includes(".") || METHOD_LABELS[i].includes("=")).toBe(false, METHOD_LABELS[i]);
    }
    for (let i = 0; i < STEP_LABELS.length; i++) expect(STEP_LABELS[i].includes(".")).toBe(false);
    expect(METHOD_LABELS.length).toBeLessThan(40);
  });
});

describe("stat names", () => {
  it("carry every label as one `.key=value` segment", () => {
    const n = requestsName("terminating", sanitize("my.server", 64), "tools/call", "ok");
    expect(n).toBe("mcp.requests_total.mcp_mode=terminating.mcp_server=my_server.mcp_method=tools/call.outcome=ok");
    expect(tagsOf(n).join(",")).toBe("mcp_mode=terminating,mcp_server=my_server,mcp_method=tools/call,outcome=ok");
    const t = toolCallsName("passthrough", "s", toolLabel("a.b=c"), "denied");
    expect(tagsOf(t).join(",")).toBe("mcp_mode=passthrough,mcp_server=s,mcp_tool=a_b_c,outcome=denied");
    expect(backendRequestsName("s", BackendStep.Notification)).toBe("mcp.backend_requests_total.mcp_server=s.mcp_step=notification");
    expect(serverMetricName("mcp.sessions_live", "s")).toBe("mcp.sessions_live.mcp_server=s");
  });

  it("cannot be misread when a value spells a key", () => {
    // A server named like a key: its segment still holds exactly one `=`.
    const n = requestsName("terminating", sanitize("mcp_method=x", 64), "ping", "ok");
    const tags = tagsOf(n);
    expect(tags.length).toBe(4);
    expect(tags[1]).toBe("mcp_server=mcp_method_x");
    expect(tags[2]).toBe("mcp_method=ping");
  });
});
