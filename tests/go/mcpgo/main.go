// Command mcpgo is an MCP server on github.com/mark3labs/mcp-go for the gateway's e2e tests:
// a third, independent Streamable HTTP implementation whose JSON decoding (encoding/json:
// case-insensitive keys, last duplicate wins, U+FFFD for invalid UTF-8) differs from the
// TypeScript and Python SDKs'.
//
//	mcpgo PORT
//
// Serves Streamable HTTP on 127.0.0.1:PORT at /mcp, stateful (initialize issues an
// Mcp-Session-Id), with the tools `echo` (text) and `add` (a, b). It records what it did so
// that tests can prove a refused request never ran:
//
//	GET /__calls     JSON array of the tool calls it executed: {"name", "arguments"}
//	GET /__requests  JSON array of every HTTP request that reached /mcp: {"method",
//	                 "headers", "body"} (body as text)
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// call is one executed tool call.
type call struct {
	Name      string         `json:"name"`
	Arguments map[string]any `json:"arguments"`
}

// request is one HTTP request that reached the MCP endpoint.
type request struct {
	Method  string              `json:"method"`
	Headers map[string][]string `json:"headers"`
	Body    string              `json:"body"`
}

// recorder holds what the server saw and did, for GET /__calls and /__requests.
type recorder struct {
	mu       sync.Mutex
	calls    []call
	requests []request
}

func (r *recorder) addCall(c call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, c)
}

func (r *recorder) addRequest(q request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests = append(r.requests, q)
}

// serveJSON writes a snapshot of v (taken under the lock) as JSON.
func (r *recorder) serveJSON(w http.ResponseWriter, snapshot func() any) {
	r.mu.Lock()
	data, err := json.Marshal(snapshot())
	r.mu.Unlock()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(data)
}

// recorded wraps a tool handler so that every execution is recorded before it runs.
func recorded(rec *recorder, handler server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		rec.addCall(call{Name: req.Params.Name, Arguments: req.GetArguments()})
		return handler(ctx, req)
	}
}

func newMCPServer(rec *recorder) *server.MCPServer {
	s := server.NewMCPServer("mcp-go-backend", "1.0.0", server.WithToolCapabilities(false))
	s.AddTool(mcp.NewTool("echo",
		mcp.WithDescription("Returns its text argument"),
		mcp.WithString("text", mcp.Required(), mcp.Description("Text to echo")),
	), recorded(rec, func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText(req.GetString("text", "")), nil
	}))
	s.AddTool(mcp.NewTool("add",
		mcp.WithDescription("Adds two numbers"),
		mcp.WithNumber("a", mcp.Required()),
		mcp.WithNumber("b", mcp.Required()),
	), recorded(rec, func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		sum := req.GetFloat("a", 0) + req.GetFloat("b", 0)
		return mcp.NewToolResultText(strconv.FormatFloat(sum, 'f', -1, 64)), nil
	}))
	return s
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: mcpgo PORT")
		os.Exit(2)
	}
	port, err := strconv.Atoi(os.Args[1])
	if err != nil || port <= 0 || port > 65535 {
		fmt.Fprintf(os.Stderr, "mcpgo: bad port %q\n", os.Args[1])
		os.Exit(2)
	}
	rec := &recorder{}
	mcpHandler := server.NewStreamableHTTPServer(newMCPServer(rec), server.WithStateful(true))

	mux := http.NewServeMux()
	mux.HandleFunc("GET /__calls", func(w http.ResponseWriter, _ *http.Request) {
		rec.serveJSON(w, func() any { return append([]call{}, rec.calls...) })
	})
	mux.HandleFunc("GET /__requests", func(w http.ResponseWriter, _ *http.Request) {
		rec.serveJSON(w, func() any { return append([]request{}, rec.requests...) })
	})
	mux.HandleFunc("/mcp", func(w http.ResponseWriter, r *http.Request) {
		// Record the request as it arrived, then hand the same bytes to mcp-go.
		body, _ := io.ReadAll(r.Body)
		rec.addRequest(request{Method: r.Method, Headers: r.Header.Clone(), Body: string(body)})
		r.Body = io.NopCloser(bytes.NewReader(body))
		mcpHandler.ServeHTTP(w, r)
	})

	addr := "127.0.0.1:" + strconv.Itoa(port)
	log.Printf("mcp-go backend listening on http://%s/mcp", addr)
	if err := http.ListenAndServe(addr, mux); err != nil {
		log.Fatal(err)
	}
}
