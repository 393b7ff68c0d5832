// Starts the real primesync-server binary for the push tests: a free port, a
// temporary data directory, a hermetic environment (no PRIMESYNC_* of the caller
// except what the test passes), its output captured in a log file that is
// printed when a test fails. Every wait has a deadline.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync, openSync, closeSync, readFileSync, mkdirSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { httpRequest } from './http.mjs';
import { waitUntil } from './wait.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..', '..');

export const START_DEADLINE_MS = 30_000;
export const STOP_DEADLINE_MS = 15_000;

export function serverBinary() {
  const fromEnv = process.env.PRIMESYNC_SERVER_BINARY;
  if (fromEnv) return fromEnv;
  return path.join(repoRoot, 'build', 'test', 'src', 'app', 'primesync-server');
}

export function randomId(prefix = '') {
  return prefix + randomBytes(8).toString('hex');
}

export function uuid() {
  const hex = randomBytes(16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

// Every server the tests started and did not stop yet: killed at exit, so a
// failed test never leaks a process.
const running = new Set();
process.on('exit', () => {
  for (const child of running) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

export class ServerProcess {
  // env: extra environment (PRIMESYNC_PUSH_* and so on).
  // secret: the JWT secret (servers that share users share it); random by default.
  constructor({ env = {}, name = 'server', threads = 2, secret } = {}) {
    this.name = name;
    this.extraEnv = env;
    this.threads = threads;
    this.secret = secret ?? randomBytes(24).toString('hex');
    this.tempDir = mkdtempSync(path.join(tmpdir(), 'primesync-push-'));
    this.dataDir = path.join(this.tempDir, 'data');
    mkdirSync(this.dataDir);
    this.logPath = path.join(this.tempDir, 'server.log');
    this.port = 0;
    this.child = null;
    this.exit = null;
  }

  get baseUrl() { return `http://127.0.0.1:${this.port}`; }

  environment() {
    const env = {};
    for (const [name, value] of Object.entries(process.env)) {
      if (!name.startsWith('PRIMESYNC_')) env[name] = value;
    }
    env.PRIMESYNC_JWT_SECRET = this.secret;
    env.PRIMESYNC_LOG_LEVEL = env.PRIMESYNC_LOG_LEVEL ?? 'info';
    return { ...env, ...this.extraEnv };
  }

  // Starts the binary (on a new free port unless `keepPort` and one was used).
  async start({ keepPort = false } = {}) {
    if (this.child) throw new Error(`${this.name}: already running`);
    if (!keepPort || !this.port) this.port = await freePort();
    appendFileSync(this.logPath, `=== push test: starting ${this.name} on port ${this.port} ===\n`);
    const out = openSync(this.logPath, 'a');
    const child = spawn(serverBinary(), [
      '--listen', `127.0.0.1:${this.port}`,
      '--data-dir', this.dataDir,
      '--threads', String(this.threads),
    ], { cwd: this.tempDir, env: this.environment(), stdio: ['ignore', out, out] });
    closeSync(out);
    this.child = child;
    this.exit = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        running.delete(child);
        resolve({ code, signal });
      });
      child.on('error', (error) => {
        running.delete(child);
        resolve({ code: null, signal: null, error });
      });
    });
    running.add(child);
    let exited = null;
    this.exit.then((status) => { exited = status; });
    try {
      await waitUntil(async () => {
        if (exited) {
          throw new Error(`${this.name} exited during start-up (${JSON.stringify(exited)})`);
        }
        try {
          const response = await httpRequest(this.port, 'GET', '/healthz', { timeoutMs: 2000 });
          return response.status === 200;
        } catch {
          return false;
        }
      }, { timeoutMs: START_DEADLINE_MS, what: `${this.name} GET /healthz answers 200`, intervalMs: 20 });
    } catch (error) {
      error.message += `\n---- ${this.name} log tail (${this.logPath}) ----\n${this.logTail()}`;
      await this.kill();
      throw error;
    }
  }

  // SIGTERM, then SIGKILL after the deadline. Returns the exit status.
  async stop(deadlineMs = STOP_DEADLINE_MS) {
    if (!this.child) return null;
    const child = this.child;
    child.kill('SIGTERM');
    let timer;
    const timedOut = new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), deadlineMs); });
    let status = await Promise.race([this.exit, timedOut]);
    clearTimeout(timer);
    if (status === 'timeout') {
      child.kill('SIGKILL');
      status = { ...(await this.exit), timedOut: true };
    }
    this.child = null;
    return status;
  }

  async kill() {
    if (!this.child) return;
    this.child.kill('SIGKILL');
    await this.exit;
    this.child = null;
  }

  // Stops cleanly and starts again on the same port and data directory.
  async restart() {
    const status = await this.stop();
    if (status && (status.timedOut || status.code !== 0)) {
      throw new Error(`${this.name}: stop before restart: ${JSON.stringify(status)}\n${this.logTail()}`);
    }
    await this.start({ keepPort: true });
  }

  // Stops the server and removes its temporary directory (kept with PRIMESYNC_PUSH_KEEP_TEMP).
  async dispose() {
    await this.stop();
    if (!process.env.PRIMESYNC_PUSH_KEEP_TEMP) rmSync(this.tempDir, { recursive: true, force: true });
  }

  logTail(lines = 80) {
    let text = '';
    try { text = readFileSync(this.logPath, 'utf8'); } catch { return '(no log)'; }
    return text.split('\n').slice(-lines).join('\n');
  }

  // An access token of `user` signed with this server's secret, by the binary itself.
  token(user, { prime = true } = {}) {
    const result = spawnSync(serverBinary(), ['token', '--user', user, '--prime', String(prime)], {
      env: this.environment(), encoding: 'utf8', timeout: 15_000,
    });
    if (result.status !== 0) {
      throw new Error(`token --user ${user} failed: ${result.status} ${result.stderr}${result.stdout}`);
    }
    return result.stdout.trim();
  }

  async metrics() {
    const response = await httpRequest(this.port, 'GET', '/metrics');
    if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}`);
    return parseMetrics(response.body);
  }

  async metric(name) {
    const all = await this.metrics();
    return all.get(name) ?? 0;
  }

  async readyz() {
    return httpRequest(this.port, 'GET', '/readyz');
  }
}

// Prometheus text → Map(name → value), summing every label set of a name.
export function parseMetrics(text) {
  const out = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    out.set(match[1], (out.get(match[1]) ?? 0) + Number(match[3]));
  }
  return out;
}

// Runs `body(server)` with a started server; on failure the server's log tail
// is added to the error; the server is always stopped and its directory removed.
export async function withServer(options, body) {
  const server = new ServerProcess(options);
  try {
    await server.start();
    return await body(server);
  } catch (error) {
    attachLog(error, server);
    throw error;
  } finally {
    await server.dispose();
  }
}

export function attachLog(error, ...servers) {
  if (!(error instanceof Error) || error.primesyncLogAttached) return;
  for (const server of servers) {
    error.message += `\n---- ${server.name} log tail (${server.logPath}) ----\n${server.logTail()}\n---- end of ${server.name} log ----`;
  }
  error.primesyncLogAttached = true;
}
