// The push hub driven by the stock socket.io-client (v4), as the OneKey app uses
// it: events, acknowledgements and resends, reconnection, both transports and
// the upgrade, the heartbeat, token checks and the connection limit. Each test
// starts its own primesync-server (tests/push/lib/server.mjs).
//
// "Device X received nothing" is never asserted by waiting: X later receives a
// change made after the one it must not see, and that must be its next event.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withServer, randomId, uuid } from './lib/server.mjs';
import { Account, Device, connectAll, httpAck, makeItem, makeLock, describeEvents } from './lib/client.mjs';
import { waitUntil, deadline } from './lib/wait.mjs';

const TEST_TIMEOUT_MS = deadline(120_000);

// Items as the server sends them back: exactly these fields, isDeleted present.
function served(item) {
  return {
    key: item.key,
    dataType: item.dataType,
    data: item.data,
    dataTimestamp: item.dataTimestamp,
    isDeleted: item.isDeleted ?? false,
  };
}

function assertLock(actual, lock, what) {
  assert.ok(actual && typeof actual === 'object', `${what}: lock missing`);
  for (const field of ['key', 'dataType', 'data', 'dataTimestamp']) {
    assert.equal(actual[field], lock[field], `${what}: lock.${field}`);
  }
  assert.equal(actual.isDeleted ?? false, false, `${what}: lock.isDeleted`);
}

// The push events of a device, one per msgId (a resend is not a new event).
function distinctPushes(device) {
  const seen = new Set();
  return device.pushes().filter((event) => {
    if (seen.has(event.payload.msgId)) return false;
    seen.add(event.payload.msgId);
    return true;
  });
}

function hasItem(event, item) {
  return Array.isArray(event.payload?.serverData) && event.payload.serverData.some((entry) => entry.key === item.key);
}

// Runs `body` with devices it creates through `open`, closing them whatever happens.
async function withDevices(body) {
  const devices = [];
  const open = (server, options) => {
    const device = new Device(server, options);
    devices.push(device);
    return device;
  };
  try {
    return await body(open);
  } finally {
    for (const device of devices) device.close();
  }
}

test('two devices on websocket: each change goes to the other device, never to its sender', { timeout: TEST_TIMEOUT_MS }, () =>
  withServer({ name: 'server' }, (server) => withDevices(async (open) => {
    const account = new Account(server, randomId('user-'));
    const a = uuid();
    const b = uuid();
    await account.login(a);
    await account.login(b);
    const A = open(server, { instanceId: a, name: 'device A' });
    const B = open(server, { instanceId: b, name: 'device B' });
    await connectAll(A, B);
    assert.equal(A.transportName, 'websocket');
    assert.equal(B.transportName, 'websocket');

    // Flush from A (the first device enabling sync): B gets CONFIG_FLUSH.
    const pwdHash = uuid();
    const lock = makeLock();
    const wallet = makeItem('Wallet', 'wallet-0');
    const flushed = await account.flush(a, { items: [wallet], pwdHash, lock });
    const flushEvent = await B.waitForEvent((event) => event.name === 'CONFIG_FLUSH', { what: 'CONFIG_FLUSH' });
    assert.equal(typeof flushEvent.payload.msgId, 'string');
    assert.ok(flushEvent.payload.msgId.length > 0, 'msgId is not empty');
    assert.equal(flushEvent.payload.nonce, flushed.nonce);
    assert.equal(flushEvent.payload.pwdHash, pwdHash);
    assert.deepEqual(flushEvent.payload.serverData, []);
    assertLock(flushEvent.payload.lock, lock, 'CONFIG_FLUSH');

    // Upload from B: A gets CONFIG_CHANGE with the item, and it is A's first push
    // (A did not get its own flush).
    const account1 = makeItem('Account', 'account-1');
    const uploaded1 = await account.upload(b, [account1], pwdHash);
    assert.equal(uploaded1.created, 1);
    const change1 = await A.waitForEvent((event) => event.name === 'CONFIG_CHANGE', { what: 'CONFIG_CHANGE from B' });
    assert.equal(change1.payload.nonce, uploaded1.nonce);
    assert.equal(change1.payload.pwdHash, pwdHash);
    assert.deepEqual(change1.payload.serverData, [served(account1)]);
    assert.deepEqual(distinctPushes(A).map((event) => event.payload.msgId), [change1.payload.msgId],
      `A's first push is B's upload; A got ${describeEvents(A.events)}`);

    // Upload from A with one winner and one loser (an older copy of account-1):
    // B gets CONFIG_CHANGE with the winner only, right after the flush (B did
    // not get its own upload).
    const bookmark = makeItem('BrowserBookmark', 'bookmark-2');
    const stale = { ...makeItem('Account', 'account-1', { timestamp: account1.dataTimestamp - 500 }) };
    const uploaded2 = await account.upload(a, [bookmark, stale], pwdHash);
    assert.equal(uploaded2.created, 1);
    assert.equal(uploaded2.skipped, 1);
    const change2 = await B.waitForEvent((event) => hasItem(event, bookmark), { what: 'CONFIG_CHANGE from A' });
    assert.equal(change2.name, 'CONFIG_CHANGE');
    assert.equal(change2.payload.nonce, uploaded2.nonce);
    assert.equal(change2.payload.pwdHash, pwdHash);
    assert.deepEqual(change2.payload.serverData, [served(bookmark)], 'only the winning items are pushed');
    assert.deepEqual(distinctPushes(B).map((event) => event.name), ['CONFIG_FLUSH', 'CONFIG_CHANGE'],
      `B got ${describeEvents(B.events)}`);

    // Lock change from B: A gets LOCK_CHANGE with the lock and the new pwdHash.
    const newPwdHash = uuid();
    const lock2 = makeLock();
    await account.changeLock(b, lock2, newPwdHash);
    const lockEvent = await A.waitForEvent((event) => event.name === 'LOCK_CHANGE', { what: 'LOCK_CHANGE' });
    assert.equal(lockEvent.payload.pwdHash, newPwdHash);
    assertLock(lockEvent.payload.lock, lock2, 'LOCK_CHANGE');
    assert.equal(typeof lockEvent.payload.msgId, 'string');
    assert.deepEqual(distinctPushes(A).map((event) => event.name), ['CONFIG_CHANGE', 'LOCK_CHANGE'],
      `A got ${describeEvents(A.events)}`);

    // One more upload from A: B's next push is this one (B did not get its own lock change).
    const token = makeItem('CustomToken', 'token-3');
    const uploaded3 = await account.upload(a, [token], newPwdHash);
    const change3 = await B.waitForEvent((event) => hasItem(event, token), { what: 'the last CONFIG_CHANGE' });
    assert.equal(change3.payload.nonce, uploaded3.nonce);
    assert.equal(change3.payload.pwdHash, newPwdHash);
    assert.deepEqual(distinctPushes(B).map((event) => event.name), ['CONFIG_FLUSH', 'CONFIG_CHANGE', 'CONFIG_CHANGE'],
      `B got ${describeEvents(B.events)}`);

    const ids = [...distinctPushes(A), ...distinctPushes(B)].map((event) => event.payload.msgId);
    assert.equal(new Set(ids).size, ids.length, 'every push has its own msgId');
  })));

test('the sticky-key header names the device; a CONNECT without any instance id is refused', { timeout: TEST_TIMEOUT_MS }, () =>
  withServer({}, (server) => withDevices(async (open) => {
    const account = new Account(server, randomId('user-'));
    const sender = uuid();
    const sticky = uuid();
    await account.login(sender);
    await account.login(sticky);

    const anonymous = open(server, { instanceId: '', auth: {}, name: 'device without instance id' });
    const error = await anonymous.refused();
    assert.match(error.message, /instanceId/);
    await waitUntil(async () => (await server.metric('primesync_push_refused_auth_total')) >= 1,
      { what: 'primesync_push_refused_auth_total ≥ 1' });

    const device = open(server, {
      instanceId: sticky, auth: {}, name: 'device named by x-onekey-client-sticky-key',
      extraHeaders: { 'x-onekey-client-sticky-key': `ios:prod:${sticky}` },
    });
    await device.connected();
    const pwdHash = uuid();
    await account.flush(sender, { items: [makeItem('Wallet', 'w')], pwdHash, lock: makeLock() });
    const item = makeItem('AddressBook', 'contact');
    await account.upload(sender, [item], pwdHash);
    await device.waitForEvent((event) => hasItem(event, item), { what: 'the CONFIG_CHANGE' });
  })));

test('acks: emitWithAck is answered and counted; an unacked push is resent 1+maxRetries times, then given up', { timeout: TEST_TIMEOUT_MS }, () =>
  withServer({ env: { PRIMESYNC_PUSH_ACKTIMEOUTMS: '300', PRIMESYNC_PUSH_MAXRETRIES: '2' } }, (server) => withDevices(async (open) => {
    const maxRetries = 2;
    const account = new Account(server, randomId('user-'));
    const sender = uuid();
    const acking = uuid();
    const silent = uuid();
    for (const id of [sender, acking, silent]) await account.login(id);
    const A = open(server, { instanceId: acking, name: 'acking device' });
    const C = open(server, { instanceId: silent, name: 'silent device', autoAck: false });
    await connectAll(A, C);

    const pwdHash = uuid();
    await account.changeLock(sender, makeLock(), pwdHash);  // sets the pwdHash; first push m0
    const m0 = (await C.waitForEvent((event) => event.name === 'LOCK_CHANGE', { what: 'LOCK_CHANGE' })).payload.msgId;
    await A.waitForEvent((event) => event.payload?.msgId === m0, { what: 'LOCK_CHANGE' });

    // The acking device's emitWithAck gets {code: 0} and the ack is counted.
    const reply = await waitUntil(() => A.ackReplies.find((entry) => entry.msgId === m0),
      { what: 'the answer to emitWithAck("ack")', describe: () => `errors: ${A.ackErrors.map((e) => e.error.message)}` });
    assert.deepEqual(reply.reply, { code: 0 });
    await waitUntil(async () => (await server.metric('primesync_push_acks_total')) >= 1,
      { what: 'primesync_push_acks_total ≥ 1' });

    // The silent device gets m0 1 + maxRetries times, then the hub gives up.
    await C.waitForCount((event) => event.payload?.msgId === m0, 1 + maxRetries, { what: `copies of ${m0}` });
    await waitUntil(async () => (await server.metric('primesync_push_given_up_total')) >= 1,
      { what: 'primesync_push_given_up_total ≥ 1' });

    // A later push: everything C got of m0 came before it, and there were exactly 1 + maxRetries.
    const item = makeItem('Wallet', 'after-give-up');
    await account.upload(sender, [item], pwdHash);
    const m1Event = await C.waitForEvent((event) => hasItem(event, item), { what: 'the CONFIG_CHANGE' });
    const m1 = m1Event.payload.msgId;
    assert.notEqual(m1, m0);
    // Wait for m1's first resend: by then any further copy of m0 would have arrived.
    await C.waitForCount((event) => event.payload?.msgId === m1, 2, { what: `copies of ${m1}` });
    const firstM1 = C.events.findIndex((event) => event.payload?.msgId === m1);
    const m0Copies = C.events.map((event, index) => ({ event, index })).filter(({ event }) => event.payload?.msgId === m0);
    assert.equal(m0Copies.length, 1 + maxRetries, `C got ${describeEvents(C.events)}`);
    assert.ok(m0Copies.every(({ index }) => index < firstM1), `no copy of m0 after m1: ${describeEvents(C.events)}`);
    for (const { event } of m0Copies) assert.deepEqual(event.payload, m0Copies[0].event.payload, 'a resend is the same message');

    await A.waitForEvent((event) => event.payload?.msgId === m1, { what: 'the CONFIG_CHANGE' });
    const metrics = await server.metrics();
    assert.equal(metrics.get('primesync_push_given_up_total'), 1, 'only the silent device gave m0 up');
    assert.ok(metrics.get('primesync_push_retries_total') >= maxRetries + 1, 'resends are counted');
    assert.ok(metrics.get('primesync_push_sent_total') >= 4, 'pushes are counted');
  })));

test('acks over HTTP: POST /notification/v1/message/ack stops the resends; without msgId it is a 400', { timeout: TEST_TIMEOUT_MS }, () =>
  withServer({ env: { PRIMESYNC_PUSH_ACKTIMEOUTMS: '300', PRIMESYNC_PUSH_MAXRETRIES: '5' } }, (server) => withDevices(async (open) => {
    const account = new Account(server, randomId('user-'));
    const sender = uuid();
    const receiver = uuid();
    await account.login(sender);
    await account.login(receiver);
    const H = open(server, { instanceId: receiver, name: 'device acking over HTTP', autoAck: false });
    await H.connected();

    const pwdHash = uuid();
    await account.changeLock(sender, makeLock(), pwdHash);
    const m0 = (await H.waitForEvent((event) => event.name === 'LOCK_CHANGE', { what: 'LOCK_CHANGE' })).payload.msgId;
    const acked = await httpAck(server, receiver, { msgId: m0, action: 'arrived' });
    assert.equal(acked.status, 200, acked.body);
    assert.equal(acked.json?.code, 0, acked.body);
    assert.deepEqual(acked.json?.data, {}, acked.body);
    await waitUntil(async () => (await server.metric('primesync_push_acks_total')) >= 1,
      { what: 'primesync_push_acks_total ≥ 1' });

    // A later push m1, left unacked: wait for its second resend. Had m0 still
    // been pending, a copy of it would have come after m1's first copy (m0's
    // resends are due before m1's) or m0 would have been given up.
    const item = makeItem('Wallet', 'after-http-ack');
    await account.upload(sender, [item], pwdHash);
    const m1 = (await H.waitForEvent((event) => hasItem(event, item), { what: 'the CONFIG_CHANGE' })).payload.msgId;
    await H.waitForCount((event) => event.payload?.msgId === m1, 3, { what: `copies of ${m1}` });
    const firstM1 = H.events.findIndex((event) => event.payload?.msgId === m1);
    const lateM0 = H.events.slice(firstM1).filter((event) => event.payload?.msgId === m0);
    assert.equal(lateM0.length, 0, `no resend of the acked message: ${describeEvents(H.events)}`);
    assert.equal(await server.metric('primesync_push_given_up_total'), 0, 'the acked message was not given up');

    const acked1 = await httpAck(server, receiver, { msgId: m1, action: 'arrived' });
    assert.equal(acked1.json?.code, 0, acked1.body);
    await waitUntil(async () => (await server.metric('primesync_push_acks_total')) >= 2,
      { what: 'primesync_push_acks_total ≥ 2' });

    const missing = await httpAck(server, receiver, { action: 'arrived' });
    assert.equal(missing.status, 400, missing.body);
    assert.equal(missing.json?.code, 40000, missing.body);
    assert.match(missing.json?.message ?? '', /msgId/, missing.body);
  })));

test('reconnect: the client reconnects by itself after a server restart and receives later pushes', { timeout: TEST_TIMEOUT_MS }, () =>
  withServer({}, (server) => withDevices(async (open) => {
    const account = new Account(server, randomId('user-'));
    const sender = uuid();
    const receiver = uuid();
    await account.login(sender);
    await account.login(receiver);
    const R = open(server, { instanceId: receiver, name: 'reconnecting device', reconnection: true });
    await R.connected();
    const pwdHash = uuid();
    await account.changeLock(sender, makeLock(), pwdHash);
    await R.waitForEvent((event) => event.name === 'LOCK_CHANGE', { what: 'LOCK_CHANGE before the restart' });

    await server.restart();
    await waitUntil(() => R.connects >= 2 && R.socket.connected, {
      what: 'the client reconnected by itself',
      describe: () => `connects=${R.connects} disconnects=[${R.disconnects}] connect_errors=${R.connectErrors.length}`,
    });
    assert.ok(R.disconnects.length >= 1, 'the client saw the disconnect');
    assert.notEqual(R.disconnects[0], 'io server disconnect', 'a restart must not tell the client to stay away');

    const item = makeItem('Wallet', 'after-restart');
    await account.upload(sender, [item], pwdHash);
    const change = await R.waitForEvent((event) => hasItem(event, item), { what: 'the CONFIG_CHANGE after the restart' });
    assert.deepEqual(change.payload.serverData, [served(item)]);
  })));

test('polling only: pushes arrive and emitWithAck is answered', { timeout: TEST_TIMEOUT_MS }, () =>
  withServer({}, (server) => withDevices(async (open) => {
    const account = new Account(server, randomId('user-'));
    const sender = uuid();
    const receiver = uuid();
    await account.login(sender);
    await account.login(receiver);
    const P = open(server, { instanceId: receiver, name: 'polling device', transports: ['polling'] });
    await P.connected();
    assert.equal(P.transportName, 'polling');

    const pwdHash = uuid();
    const lock = makeLock();
    await account.flush(sender, { items: [makeItem('Wallet', 'w')], pwdHash, lock });
    const flush = await P.waitForEvent((event) => event.name === 'CONFIG_FLUSH', { what: 'CONFIG_FLUSH' });
    assertLock(flush.payload.lock, lock, 'CONFIG_FLUSH over polling');
    const item = makeItem('Account', 'polled');
    await account.upload(sender, [item], pwdHash);
    const change = await P.waitForEvent((event) => hasItem(event, item), { what: 'CONFIG_CHANGE' });
    assert.deepEqual(change.payload.serverData, [served(item)]);

    const reply = await waitUntil(() => P.ackReplies.find((entry) => entry.msgId === change.payload.msgId),
      { what: 'the answer to emitWithAck over polling', describe: () => `errors: ${P.ackErrors.map((e) => e.error.message)}` });
    assert.deepEqual(reply.reply, { code: 0 });
    await waitUntil(async () => (await server.metric('primesync_push_acks_total')) >= 2,
      { what: 'primesync_push_acks_total ≥ 2' });
    assert.equal(P.transportName, 'polling');
  })));

test('upgrade: polling then websocket (the default) ends on websocket and receives pushes', { timeout: TEST_TIMEOUT_MS }, () =>
  withServer({}, (server) => withDevices(async (open) => {
    const account = new Account(server, randomId('user-'));
    const sender = uuid();
    const receiver = uuid();
    await account.login(sender);
    await account.login(receiver);
    const U = open(server, { instanceId: receiver, name: 'upgrading device', transports: ['polling', 'websocket'] });
    await U.connected();
    await waitUntil(() => U.transportName === 'websocket', {
      what: 'the transport is upgraded to websocket',
      describe: () => `transport ${U.transportName}`,
    });

    const pwdHash = uuid();
    await account.changeLock(sender, makeLock(), pwdHash);
    await U.waitForEvent((event) => event.name === 'LOCK_CHANGE', { what: 'LOCK_CHANGE' });
    const item = makeItem('MarketWatchList', 'upgraded');
    await account.upload(sender, [item], pwdHash);
    const change = await U.waitForEvent((event) => hasItem(event, item), { what: 'CONFIG_CHANGE' });
    assert.deepEqual(change.payload.serverData, [served(item)]);
    await waitUntil(() => U.ackReplies.some((entry) => entry.msgId === change.payload.msgId),
      { what: 'the answer to emitWithAck after the upgrade' });
    assert.equal(U.transportName, 'websocket');
    assert.equal(U.disconnects.length, 0, `no disconnect: ${U.disconnects}`);
  })));

// The probe ends the pending long-poll (a noop), so the client can commit the
// upgrade without waiting for a ping (25 s by default) or a push.
test('upgrade: completes promptly on an idle connection (default pingInterval)', {
  timeout: TEST_TIMEOUT_MS,
}, () =>
  withServer({}, (server) => withDevices(async (open) => {
    const devices = [0, 1, 2, 3, 4].map((index) => open(server, { instanceId: uuid(), name: `upgrading device ${index}`, transports: ['polling', 'websocket'] }));
    await connectAll(...devices);
    await waitUntil(() => devices.every((device) => device.transportName === 'websocket'), {
      timeoutMs: deadline(8000),
      what: 'every device upgraded to websocket (the default pingInterval is 25 s: no ping comes to help)',
      describe: () => devices.map((device) => `${device.name}: ${device.transportName}`).join(', '),
    });
  })));

test('heartbeat: with short ping intervals a client stays connected and still gets pushes', { timeout: TEST_TIMEOUT_MS }, () =>
  withServer({ env: { PRIMESYNC_PUSH_PINGINTERVALMS: '200', PRIMESYNC_PUSH_PINGTIMEOUTMS: '1000' } }, (server) => withDevices(async (open) => {
    const account = new Account(server, randomId('user-'));
    const sender = uuid();
    const receiver = uuid();
    await account.login(sender);
    await account.login(receiver);
    // Several pings answered and more than pingInterval + pingTimeout connected:
    // the pongs were taken (else the server closes after pingTimeout) and the pings
    // came in time (else the client closes after pingInterval + pingTimeout).
    const devices = [['websocket'], ['polling'], ['polling', 'websocket']].map((transports) => {
      const device = open(server, { instanceId: receiver, name: `device on ${transports.join('→')}`, transports });
      device.pings = 0;
      device.socket.io.on('ping', () => { device.pings += 1; });
      return device;
    });
    await connectAll(...devices);
    const connectedAt = Date.now();
    await waitUntil(() => devices.every((device) => device.pings >= 3) && Date.now() - connectedAt > 1500, {
      what: 'every device: 3 pings and 1.5 s connected',
      describe: () => devices.map((d) => `${d.name}: pings=${d.pings} connected=${d.socket.connected} disconnects=[${d.disconnects}]`).join('; '),
    });
    for (const device of devices) {
      assert.ok(device.socket.connected, `${device.name} is still connected`);
      assert.deepEqual(device.disconnects, [], `${device.name} was not disconnected`);
      assert.equal(device.connects, 1, `${device.name} connected once`);
    }
    assert.equal(await server.metric('primesync_push_heartbeat_closes_total'), 0);

    const pwdHash = uuid();
    await account.changeLock(sender, makeLock(), pwdHash);
    for (const device of devices) {
      await device.waitForEvent((event) => event.name === 'LOCK_CHANGE', { what: 'LOCK_CHANGE after the pings' });
    }
    assert.equal(devices[2].transportName, 'websocket');
  })));

test('heartbeat: a device that stops answering pings is closed and counted', { timeout: TEST_TIMEOUT_MS }, () =>
  // The server closes pingTimeout after its ping; the client itself would give up
  // only pingInterval + pingTimeout after it: a margin of 1 s for the server to be first.
  withServer({ env: { PRIMESYNC_PUSH_PINGINTERVALMS: '1000', PRIMESYNC_PUSH_PINGTIMEOUTMS: '300' } }, (server) => withDevices(async (open) => {
    const D = open(server, { instanceId: uuid(), name: 'device that stops answering' });
    await D.connected();
    // Drop every packet the client would send from now on, its pongs included
    // (engine.io-client 6.6 sends through _sendPacket, older ones sendPacket).
    const engine = D.socket.io.engine;
    const drop = () => {};
    if (typeof engine._sendPacket === 'function') engine._sendPacket = drop;
    else engine.sendPacket = drop;
    await waitUntil(async () => (await server.metric('primesync_push_heartbeat_closes_total')) >= 1,
      { what: 'primesync_push_heartbeat_closes_total ≥ 1' });
    await waitUntil(async () => (await server.metric('primesync_push_connections')) === 0,
      { what: 'the connection is released' });
  })));

// The pong wakes the heartbeat: the next ping is due pingInterval after it, not at
// the old pong deadline. With a pingTimeout of 60 s a heartbeat that waited for that
// deadline would send its second ping a minute later; four pings within the
// deadline show each came about pingInterval after the pong.
test('heartbeat: pings come every pingInterval, also when pingTimeout is longer', {
  timeout: TEST_TIMEOUT_MS,
}, () =>
  withServer({ env: { PRIMESYNC_PUSH_PINGINTERVALMS: '200', PRIMESYNC_PUSH_PINGTIMEOUTMS: '60000' } }, (server) => withDevices(async (open) => {
    const D = open(server, { instanceId: uuid(), name: 'device counting the pings' });
    let pings = 0;
    D.socket.io.on('ping', () => { pings += 1; });
    await D.connected();
    await waitUntil(() => pings >= 4, { what: '4 pings (a late heartbeat would send the second after 60 s)', timeoutMs: deadline(20_000) });
  })));

test('push.requireToken: no or bad token is refused; a token limits the socket to its user', { timeout: TEST_TIMEOUT_MS }, () =>
  withServer({ env: { PRIMESYNC_PUSH_REQUIRETOKEN: 'true' } }, (server) => withDevices(async (open) => {
    const x = new Account(server, randomId('user-x-'));
    const y = new Account(server, randomId('user-y-'));
    const xSender = uuid();
    const xDevice = uuid();
    const ySender = uuid();
    const yDevice = uuid();
    await x.login(xSender);
    await x.login(xDevice);
    await y.login(ySender);
    await y.login(yDevice);
    // yDevice's install is also registered for X (an account switch), so X's
    // notifications name it too.
    await x.login(yDevice);

    const noToken = open(server, { instanceId: xDevice, name: 'device without token' });
    assert.match((await noToken.refused()).message, /token/);
    const badToken = open(server, { instanceId: xDevice, auth: { instanceId: xDevice, token: `${x.token}x` }, name: 'device with a bad token' });
    assert.match((await badToken.refused()).message, /token/);
    await waitUntil(async () => (await server.metric('primesync_push_refused_auth_total')) >= 2,
      { what: 'primesync_push_refused_auth_total ≥ 2' });

    const X1 = open(server, { instanceId: xDevice, auth: { instanceId: xDevice, token: x.token }, name: "X's device" });
    const Y1 = open(server, { instanceId: yDevice, auth: { instanceId: yDevice, token: y.token }, name: "Y's device" });
    // Claims Y's instance id with X's token.
    const E = open(server, { instanceId: yDevice, auth: { instanceId: yDevice, token: x.token }, name: "X's socket claiming Y's instance id" });
    await connectAll(X1, Y1, E);

    const yPwd = uuid();
    await y.changeLock(ySender, makeLock(), yPwd);
    const yLock = await Y1.waitForEvent((event) => event.name === 'LOCK_CHANGE', { what: "Y's LOCK_CHANGE" });

    const xPwd = uuid();
    await x.changeLock(xSender, makeLock(), xPwd);
    const xLockOnX1 = await X1.waitForEvent((event) => event.name === 'LOCK_CHANGE', { what: "X's LOCK_CHANGE" });
    const xLockOnE = await E.waitForEvent((event) => event.name === 'LOCK_CHANGE', { what: "X's LOCK_CHANGE" });
    assert.equal(xLockOnX1.payload.pwdHash, xPwd);
    assert.equal(xLockOnE.payload.msgId, xLockOnX1.payload.msgId);
    assert.deepEqual(distinctPushes(E).map((event) => event.payload.msgId), [xLockOnE.payload.msgId],
      `the socket of X got none of Y's pushes: ${describeEvents(E.events)}`);

    const item = makeItem('Wallet', 'y-marker');
    await y.upload(ySender, [item], yPwd);
    await Y1.waitForEvent((event) => hasItem(event, item), { what: "Y's CONFIG_CHANGE" });
    assert.deepEqual(distinctPushes(Y1).map((event) => event.payload.msgId).slice(0, 1), [yLock.payload.msgId]);
    assert.equal(distinctPushes(Y1).length, 2, `Y's device got none of X's pushes: ${describeEvents(Y1.events)}`);
  })));

test('push.maxConnections: a connection beyond the limit is refused and counted', { timeout: TEST_TIMEOUT_MS }, () =>
  withServer({ env: { PRIMESYNC_PUSH_MAXCONNECTIONS: '2' } }, (server) => withDevices(async (open) => {
    const account = new Account(server, randomId('user-'));
    const ids = [uuid(), uuid(), uuid(), uuid()];
    for (const id of ids) await account.login(id);
    const first = open(server, { instanceId: ids[0], name: 'first device' });
    const second = open(server, { instanceId: ids[1], name: 'second device', transports: ['polling'] });
    await connectAll(first, second);

    const third = open(server, { instanceId: ids[2], name: 'third device (websocket)' });
    await third.refused();
    const thirdPolling = open(server, { instanceId: ids[2], name: 'third device (polling)', transports: ['polling'] });
    await thirdPolling.refused();
    assert.equal(third.socket.connected, false);
    assert.equal(thirdPolling.socket.connected, false);
    await waitUntil(async () => (await server.metric('primesync_push_connections_refused_total')) >= 2,
      { what: 'primesync_push_connections_refused_total ≥ 2' });
    assert.equal(await server.metric('primesync_push_connections'), 2);

    // A place freed: the next device gets in, and is pushed to.
    first.close();
    await waitUntil(async () => (await server.metric('primesync_push_connections')) <= 1,
      { what: 'the closed connection is released' });
    const fourth = open(server, { instanceId: ids[3], name: 'fourth device' });
    await fourth.connected();
    const pwdHash = uuid();
    await account.changeLock(ids[0], makeLock(), pwdHash);
    await fourth.waitForEvent((event) => event.name === 'LOCK_CHANGE', { what: 'LOCK_CHANGE' });
    await second.waitForEvent((event) => event.name === 'LOCK_CHANGE', { what: 'LOCK_CHANGE' });
  })));
