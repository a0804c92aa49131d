// `make run`: the gateway on 127.0.0.1:10000 in front of the bundled example MCP server.
// Starts the backend (in this process) and Envoy (a child, stopped by pid on exit/Ctrl-C).
// Environment: PORT (10000), ADMIN_PORT (9901), BACKEND_PORT (8080), PLUGIN_CONFIG (a JSON
// file used instead of examples/config/streamable.json, as it is: its mcpServerURL must point
// at the bundled Streamable HTTP backend on BACKEND_PORT, e.g. a pass-through config).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBackend } from './backend/server.mjs';
import { startEnvoy } from '../tests/support/envoy.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const port = Number(process.env.PORT || 10000);
const adminPort = Number(process.env.ADMIN_PORT || 9901);
const backendPort = Number(process.env.BACKEND_PORT || 8080);
const configFile = process.env.PLUGIN_CONFIG || path.join(here, 'config', 'streamable.json');

const backend = await startBackend({ port: backendPort });
const config = JSON.parse(readFileSync(configFile, 'utf8'));
if (!process.env.PLUGIN_CONFIG) config.server.mcpServerURL = `http://127.0.0.1:${backend.port}/mcp`;
let envoy;
try {
  envoy = await startEnvoy({ pluginConfig: config, backendPort: backend.port, listenPort: port, adminPort });
} catch (err) {
  console.error(String(err.message || err));
  await backend.close();
  process.exit(1);
}

const url = `http://127.0.0.1:${port}/mcp`;
console.log(`example MCP server: ${backend.url}`);
console.log(`MCP gateway (Envoy + mcp-proxy.wasm): ${url}   admin: http://127.0.0.1:${adminPort}   envoy pid: ${envoy.pid}`);
console.log('try it:');
console.log(`  curl -s ${url} -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' ` +
  `-d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello"}}}'`);
console.log('Ctrl-C stops Envoy and the example server.');

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  await envoy.stop();
  await backend.close();
  process.exit(0);
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
