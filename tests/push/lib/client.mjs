// What a OneKey app does against the server: the HTTP sync calls (bodies as the
// real client sends them, see tests/e2e/client_flows.cpp) and a socket.io
// connection made with the stock socket.io-client.
import { createHash, randomBytes } from 'node:crypto';
import { httpRequest } from './http.mjs';
import { waitUntil, DEFAULT_DEADLINE_MS } from './wait.mjs';

// The stock client, from tests/push/node_modules; a clear message when it is missing.
let io;
try {
  ({ io } = await import('socket.io-client'));
} catch (error) {
  throw new Error(`socket.io-client is not installed: run \`npm ci --prefix tests/push\` (tools/install-deps.sh --with-tests does it): ${error.message}`);
}

export function sha512Hex(text) {
  return createHash('sha512').update(text).digest('hex');
}

export function itemKey(dataType, rawKey) {
  return sha512Hex(`${dataType} >> ${rawKey}`);
}

let clock = Date.now();
// Strictly increasing client timestamps, so every upload wins.
export function nextTimestamp() {
  clock = Math.max(clock + 1000, Date.now());
  return clock;
}

export function makeItem(dataType, rawKey, { timestamp = nextTimestamp(), deleted } = {}) {
  const item = {
    key: itemKey(dataType, rawKey),
    dataType,
    data: randomBytes(300).toString('hex'),
    dataTimestamp: timestamp,
  };
  if (deleted !== undefined) item.isDeleted = deleted;
  return item;
}

export function makeLock({ timestamp = nextTimestamp() } = {}) {
  return makeItem('Lock', 'lock', { timestamp, deleted: false });
}

// An item as the client puts it on the wire: extras the server must ignore.
function wireItem(item, pwdHash) {
  return { ...item, pwdHash, $$dataTimestampStr: String(item.dataTimestamp) };
}

// One user of one server, calling the HTTP API from any of its devices.
export class Account {
  constructor(server, user, { prime = true } = {}) {
    this.server = server;
    this.user = user;
    this.token = server.token(user, { prime });
  }

  async call(method, path, instanceId, body, { expectCode = 0, headers = {} } = {}) {
    const response = await httpRequest(this.server.port, method, path, {
      headers: {
        'X-Onekey-Request-Token': this.token,
        ...(instanceId ? { 'x-onekey-instance-id': instanceId } : {}),
        ...headers,
      },
      body,
    });
    if (expectCode !== null && (response.status !== 200 || response.json?.code !== expectCode)) {
      throw new Error(`${method} ${path} from ${instanceId}: expected code ${expectCode}, got HTTP ${response.status} ${response.body.slice(0, 600)}`);
    }
    return response;
  }

  async login(instanceId) {
    const response = await this.call('POST', '/prime/v1/user/login', instanceId, {});
    return response.json.data;
  }

  async flush(instanceId, { items = [], pwdHash, lock }) {
    const body = { localData: items.map((item) => wireItem(item, pwdHash ?? '')), nonce: 0 };
    if (pwdHash !== undefined) body.pwdHash = pwdHash;
    if (lock) body.lock = wireItem(lock, pwdHash ?? '');
    return (await this.call('POST', '/prime/v1/sync/flush', instanceId, body)).json.data;
  }

  async upload(instanceId, items, pwdHash) {
    const body = { localData: items.map((item) => wireItem(item, pwdHash)), pwdHash, nonce: 0 };
    return (await this.call('POST', '/prime/v1/sync/upload', instanceId, body)).json.data;
  }

  async changeLock(instanceId, lock, pwdHash) {
    const body = { lock: wireItem(lock, pwdHash), pwdHash };
    return (await this.call('POST', '/prime/v1/sync/lock', instanceId, body)).json.data;
  }
}

// The HTTP acknowledgement of a push (no token needed).
export function httpAck(server, instanceId, body) {
  return httpRequest(server.port, 'POST', '/notification/v1/message/ack', {
    headers: instanceId ? { 'x-onekey-instance-id': instanceId } : {},
    body,
  });
}

export const PUSH_EVENTS = new Set(['CONFIG_CHANGE', 'CONFIG_FLUSH', 'LOCK_CHANGE']);

// One device's socket.io connection. Every event it receives is recorded in
// `events` ({name, payload, at}); with `autoAck` each push is acknowledged with
// emitWithAck('ack', {msgId, action: 'arrived'}) and the answer kept in `ackReplies`.
export class Device {
  constructor(server, { instanceId, transports = ['websocket'], auth, extraHeaders, autoAck = true, reconnection = false, name, ...options }) {
    this.server = server;
    this.instanceId = instanceId;
    this.name = name ?? instanceId;
    this.events = [];
    this.ackReplies = [];
    this.ackErrors = [];
    this.connects = 0;
    this.connectErrors = [];
    this.disconnects = [];
    this.autoAck = autoAck;
    this.socket = io(server.baseUrl, {
      path: '/socket.io/',
      transports,
      auth: auth === undefined ? { instanceId } : auth,
      extraHeaders,
      reconnection,
      reconnectionDelay: 200,
      reconnectionDelayMax: 1000,
      randomizationFactor: 0,
      timeout: 20_000,
      forceNew: true,
      ...options,
    });
    this.socket.on('connect', () => { this.connects += 1; });
    this.socket.on('connect_error', (error) => { this.connectErrors.push(error); });
    this.socket.on('disconnect', (reason) => { this.disconnects.push(reason); });
    this.socket.onAny((name, ...args) => {
      const payload = args[0];
      this.events.push({ name, payload, at: Date.now() });
      // A failed ack is in ackErrors (e.g. the socket was closed before the answer).
      if (this.autoAck && PUSH_EVENTS.has(name) && payload?.msgId) this.ack(payload.msgId).catch(() => {});
    });
  }

  ack(msgId) {
    const sent = this.socket.timeout(DEFAULT_DEADLINE_MS).emitWithAck('ack', { msgId, action: 'arrived' });
    return sent.then(
      (reply) => { this.ackReplies.push({ msgId, reply }); return reply; },
      (error) => { this.ackErrors.push({ msgId, error }); throw error; },
    );
  }

  get transportName() {
    return this.socket.io.engine?.transport?.name;
  }

  // Resolves once connected; rejects on a connect_error (with reconnection off).
  connected({ timeoutMs = DEFAULT_DEADLINE_MS } = {}) {
    if (this.socket.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { cleanup(); reject(new Error(`${this.name}: not connected within ${timeoutMs} ms`)); }, timeoutMs);
      const onConnect = () => { cleanup(); resolve(); };
      const onError = (error) => {
        if (this.socket.io.opts.reconnection) return;  // it tries again by itself
        cleanup();
        reject(new Error(`${this.name}: connect_error: ${error.message}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.socket.off('connect', onConnect);
        this.socket.off('connect_error', onError);
      };
      this.socket.on('connect', onConnect);
      this.socket.on('connect_error', onError);
    });
  }

  // Resolves with the connect_error; rejects if the socket connects instead.
  refused({ timeoutMs = DEFAULT_DEADLINE_MS } = {}) {
    return new Promise((resolve, reject) => {
      if (this.connectErrors.length) { resolve(this.connectErrors[0]); return; }
      if (this.socket.connected) { reject(new Error(`${this.name}: connected, expected a connect_error`)); return; }
      const timer = setTimeout(() => { cleanup(); reject(new Error(`${this.name}: no connect_error within ${timeoutMs} ms`)); }, timeoutMs);
      const onConnect = () => { cleanup(); reject(new Error(`${this.name}: connected, expected a connect_error`)); };
      const onError = (error) => { cleanup(); resolve(error); };
      const cleanup = () => {
        clearTimeout(timer);
        this.socket.off('connect', onConnect);
        this.socket.off('connect_error', onError);
      };
      this.socket.on('connect', onConnect);
      this.socket.on('connect_error', onError);
    });
  }

  pushes() {
    return this.events.filter((event) => PUSH_EVENTS.has(event.name));
  }

  // Waits until an event matching `predicate` has been received; returns it.
  async waitForEvent(predicate, { timeoutMs = DEFAULT_DEADLINE_MS, what = 'an event' } = {}) {
    return waitUntil(() => this.events.find(predicate), {
      timeoutMs,
      what: `${this.name} receives ${what}`,
      describe: () => `${this.name} received ${describeEvents(this.events)}; connected=${this.socket.connected} connects=${this.connects} connect_errors=[${this.connectErrors.map((e) => e.message).join(', ')}] disconnects=[${this.disconnects.join(', ')}]`,
    });
  }

  // Waits until `count` events match `predicate`; returns them.
  async waitForCount(predicate, count, { timeoutMs = DEFAULT_DEADLINE_MS, what = 'events' } = {}) {
    return waitUntil(() => {
      const matching = this.events.filter(predicate);
      return matching.length >= count ? matching : false;
    }, {
      timeoutMs,
      what: `${this.name} receives ${count} × ${what}`,
      describe: () => `${this.name} received ${describeEvents(this.events)}`,
    });
  }

  close() {
    this.socket.close();
  }
}

export function describeEvents(events) {
  return `[${events.map((event) => `${event.name}(msgId=${event.payload?.msgId}, nonce=${event.payload?.nonce}, items=${event.payload?.serverData?.length})`).join(', ')}]`;
}

// Connects devices and waits until each is connected; closes them all on failure.
export async function connectAll(...devices) {
  try {
    await Promise.all(devices.map((device) => device.connected()));
  } catch (error) {
    for (const device of devices) device.close();
    throw error;
  }
  return devices;
}
