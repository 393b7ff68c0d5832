// Two instances sharing a MongoDB store (FerretDB) and a Kafka topic: a change
// committed on instance A reaches a device connected to instance B, whose hub is
// fed by the topic. Needs the services of tools/testenv (PRIMESYNC_TEST_MONGODB_URI,
// PRIMESYNC_TEST_KAFKA_BROKERS); skipped with a message without them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ServerProcess, attachLog, randomId, uuid } from './lib/server.mjs';
import { Account, Device, connectAll, makeItem, makeLock, describeEvents } from './lib/client.mjs';
import { waitUntil, deadline } from './lib/wait.mjs';

const mongodbUri = process.env.PRIMESYNC_TEST_MONGODB_URI;
const kafkaBrokers = process.env.PRIMESYNC_TEST_KAFKA_BROKERS;
const missing = [
  mongodbUri ? null : 'PRIMESYNC_TEST_MONGODB_URI',
  kafkaBrokers ? null : 'PRIMESYNC_TEST_KAFKA_BROKERS',
].filter(Boolean);
const skip = missing.length
  ? `*** ${missing.join(' and ')} not set (eval "$(tools/testenv/up)"): push across instances NOT RUN ***`
  : false;
if (skip) process.stderr.write(`${skip}\n`);

// FerretDB on SQLite takes tens to hundreds of ms a write; a consumer group
// takes seconds to get its partitions.
const WAIT_MS = deadline(60_000);

function hasItem(event, item) {
  return Array.isArray(event.payload?.serverData) && event.payload.serverData.some((entry) => entry.key === item.key);
}

test('push across instances: a change committed on instance A reaches a device on instance B through Kafka', { skip, timeout: deadline(240_000) }, async () => {
  const suffix = randomBytes(6).toString('hex');
  const topic = `push-test-${suffix}`;
  const database = `push_test_${suffix}`;
  const secret = randomBytes(24).toString('hex');
  const shared = {
    PRIMESYNC_SYNC_ADAPTERS_STORE: 'mongodb',
    PRIMESYNC_SYNC_ADAPTERS_MONGODB_URI: mongodbUri,
    PRIMESYNC_SYNC_ADAPTERS_MONGODB_DATABASE: database,
    PRIMESYNC_SYNC_ADAPTERS_KAFKA_BROKERS: kafkaBrokers,
    PRIMESYNC_SYNC_ADAPTERS_KAFKA_TOPIC: topic,
  };
  const instanceA = new ServerProcess({ name: 'instance A', secret, env: { ...shared, PRIMESYNC_SYNC_ADAPTERS_MONGODB_INSTANCEID: `push-a-${suffix}` } });
  const instanceB = new ServerProcess({ name: 'instance B', secret, env: { ...shared, PRIMESYNC_SYNC_ADAPTERS_MONGODB_INSTANCEID: `push-b-${suffix}` } });
  const devices = [];
  try {
    await instanceA.start();
    await instanceB.start();
    const readyz = await instanceB.readyz();
    assert.match(readyz.body, /push: up/, readyz.body);
    assert.match(readyz.body, /kafka-push-feed: (up|down)/, readyz.body);

    const account = new Account(instanceA, randomId('user-'));
    const sender = uuid();
    const onB = uuid();
    const onA = uuid();
    await account.login(sender);
    await account.login(onB);
    await account.login(onA);
    const deviceB = new Device(instanceB, { instanceId: onB, name: 'device on instance B' });
    const deviceA = new Device(instanceA, { instanceId: onA, name: 'device on instance A' });
    devices.push(deviceB, deviceA);
    await connectAll(deviceB, deviceA);

    // First change: the topic is new, B's feed finds it and reads it from the start.
    const pwdHash = uuid();
    const lock = makeLock();
    const wallet = makeItem('Wallet', 'wallet-0');
    const flushed = await account.flush(sender, { items: [wallet], pwdHash, lock });
    const flushOnB = await deviceB.waitForEvent((event) => event.name === 'CONFIG_FLUSH', { what: 'CONFIG_FLUSH through Kafka', timeoutMs: WAIT_MS });
    assert.equal(flushOnB.payload.nonce, flushed.nonce);
    assert.equal(flushOnB.payload.pwdHash, pwdHash);
    assert.deepEqual(flushOnB.payload.serverData, []);
    assert.equal(flushOnB.payload.lock?.key, lock.key);
    const flushOnA = await deviceA.waitForEvent((event) => event.name === 'CONFIG_FLUSH', { what: 'CONFIG_FLUSH', timeoutMs: WAIT_MS });
    assert.equal(flushOnA.payload.msgId, flushOnB.payload.msgId, 'one notification, one msgId on every instance');

    // Once every partition is assigned, a second change arrives too.
    await waitUntil(async () => /kafka-push-feed: up/.test((await instanceB.readyz()).body), {
      timeoutMs: WAIT_MS,
      what: 'instance B /readyz lists kafka-push-feed: up',
      describe: async () => (await instanceB.readyz()).body,
    });
    const item = makeItem('Account', 'account-1');
    const uploaded = await account.upload(sender, [item], pwdHash);
    const changeOnB = await deviceB.waitForEvent((event) => hasItem(event, item), { what: 'CONFIG_CHANGE through Kafka', timeoutMs: WAIT_MS });
    assert.equal(changeOnB.name, 'CONFIG_CHANGE');
    assert.equal(changeOnB.payload.nonce, uploaded.nonce);
    assert.equal(changeOnB.payload.pwdHash, pwdHash);
    assert.deepEqual(changeOnB.payload.serverData, [{ ...item, isDeleted: false }]);
    await deviceA.waitForEvent((event) => hasItem(event, item), { what: 'CONFIG_CHANGE', timeoutMs: WAIT_MS });

    // Each device got each notification once (not once per path to its hub).
    for (const device of devices) {
      const ids = device.pushes().map((event) => event.payload.msgId);
      assert.deepEqual(ids, [flushOnB.payload.msgId, changeOnB.payload.msgId], `${device.name} got ${describeEvents(device.events)}`);
    }

    const metrics = await instanceB.metrics();
    assert.ok(metrics.get('primesync_push_feed_consumed_total') >= 2, `feed consumed ${metrics.get('primesync_push_feed_consumed_total')}`);
    assert.ok(metrics.get('primesync_push_feed_partitions') >= 1, `feed partitions ${metrics.get('primesync_push_feed_partitions')}`);
    assert.ok(metrics.get('primesync_push_sent_total') >= 2);
  } catch (error) {
    attachLog(error, instanceA, instanceB);
    throw error;
  } finally {
    for (const device of devices) device.close();
    await instanceB.dispose();
    await instanceA.dispose();
  }
});
