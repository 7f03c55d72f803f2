import { join } from 'node:path';
import { createAuditTrail, type AuditAlert, type AuditTrail, type AuditTrailOptions } from '@palisade/audit';
import type { Palisade, Principal } from '@palisade/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeStore } from './support/fake-store';
import { engine, fakeAuthentication, ownership, principal, readLines, send, tempDir } from './support/harness';

const open: AuditTrail[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(open.splice(0).map((audit) => audit.close()));
});

interface Service {
  readonly palisade: Palisade;
  readonly audit: AuditTrail;
  readonly alerts: AuditAlert[];
  readonly file: string;
}

const TOKENS: Record<string, Principal> = {
  alice: principal('user-alice', 'jti-alice'),
  bob: principal('user-bob', 'jti-bob'),
};

async function service(options: Partial<AuditTrailOptions> = {}, store = new FakeStore()): Promise<Service> {
  const alerts: AuditAlert[] = [];
  const file = join(tempDir(), 'audit.log');
  const audit = createAuditTrail({ destination: file, store, handleSignals: false, onAlert: (alert) => void alerts.push(alert), ...options });
  open.push(audit);
  const palisade = await engine([fakeAuthentication(TOKENS), ownership, audit]);
  return { palisade, audit, alerts, file };
}

async function getOrder(s: Service, token: string, orderId: string, ip = '203.0.113.7') {
  const result = await send(s.palisade, { url: `/orders/${orderId}`, headers: { authorization: `Bearer ${token}` }, ip });
  await s.audit.whenIdle();
  return result;
}

function alertLines(file: string): Record<string, unknown>[] {
  return readLines(file).filter((line) => line.event === 'alert');
}

describe('ID enumeration (bola_enumeration)', () => {
  it('alerts at the 10th ownership denial in a minute, then blocks the subject with 429 subject_blocked', async () => {
    const s = await service();
    for (let i = 1; i <= 10; i++) expect((await getOrder(s, 'alice', `ord-user-bob-${i}`)).status).toBe(404);
    expect(s.alerts).toEqual([expect.objectContaining({ alert: 'bola_enumeration', sub: 'user-alice', clientId: 'shop-app', ip: '203.0.113.7', count: 10, windowMs: 60_000, blockMs: 300_000, operationId: 'getOrder' })]);

    const { status, ctx } = await getOrder(s, 'alice', 'ord-user-alice-1');
    expect(status).toBe(429);
    expect(ctx.denial?.reason).toBe('subject_blocked');
    expect(Number(ctx.denial?.headers?.['retry-after'])).toBeGreaterThan(290);
    // Others are not affected.
    expect((await getOrder(s, 'bob', 'ord-user-bob-1')).status).toBe(200);

    s.audit.flush();
    expect(alertLines(s.file)).toEqual([expect.objectContaining({ event: 'alert', alert: 'bola_enumeration', sub: 'user-alice', requestId: expect.any(String) })]);
    expect(readLines(s.file).filter((line) => line.reason === 'subject_blocked')).toHaveLength(1);
  });

  it('near miss: 9 denials neither alert nor block', async () => {
    const s = await service();
    for (let i = 1; i <= 9; i++) await getOrder(s, 'alice', `ord-user-bob-${i}`);
    expect(s.alerts).toEqual([]);
    expect((await getOrder(s, 'alice', 'ord-user-alice-1')).status).toBe(200);
  });

  it('counts within the window only', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const s = await service();
    for (let i = 1; i <= 9; i++) await getOrder(s, 'alice', `ord-user-bob-${i}`);
    vi.setSystemTime(Date.now() + 61_000);
    await getOrder(s, 'alice', 'ord-user-bob-10');
    expect(s.alerts).toEqual([]);
  });

  it('lifts the block after it ends', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const s = await service({ anomalies: { enumeration: { threshold: 2, block: '1m' } } });
    await getOrder(s, 'alice', 'ord-user-bob-1');
    await getOrder(s, 'alice', 'ord-user-bob-2');
    expect((await getOrder(s, 'alice', 'ord-user-alice-1')).status).toBe(429);
    vi.setSystemTime(Date.now() + 61_000);
    expect((await getOrder(s, 'alice', 'ord-user-alice-1')).status).toBe(200);
  });

  it('alerts once per window, not on every denial past the threshold', async () => {
    const s = await service({ anomalies: { enumeration: { threshold: 3 } } });
    // Concurrent denials all pass the block check before the first is counted,
    // so more than the threshold are counted in the window: still one alert.
    await Promise.all(Array.from({ length: 8 }, (_, i) => send(s.palisade, { url: `/orders/ord-user-bob-${i}`, headers: { authorization: 'Bearer alice' } })));
    await s.audit.whenIdle();
    expect(s.alerts.filter((alert) => alert.alert === 'bola_enumeration')).toHaveLength(1);
  });

  it('adds up across instances sharing a store, and a block set by one is seen by the other', async () => {
    const shared = new FakeStore('redis');
    const a = await service({}, shared);
    const b = await service({}, shared);
    for (let i = 1; i <= 5; i++) await getOrder(a, 'alice', `ord-user-bob-${i}`);
    for (let i = 6; i <= 10; i++) await getOrder(b, 'alice', `ord-user-bob-${i}`);
    expect([...a.alerts, ...b.alerts]).toHaveLength(1);
    expect(b.alerts).toHaveLength(1);
    expect((await getOrder(a, 'alice', 'ord-user-alice-1')).status).toBe(429);
  });
});

describe('token replay (token_replay_suspected)', () => {
  it('alerts when one jti comes from a 4th address within 5 minutes, once', async () => {
    const s = await service();
    for (const ip of ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4', '198.51.100.5']) await getOrder(s, 'alice', 'ord-user-alice-1', ip);
    expect(s.alerts).toEqual([expect.objectContaining({ alert: 'token_replay_suspected', jti: 'jti-alice', sub: 'user-alice', ip: '198.51.100.4', count: 4, windowMs: 300_000, blockMs: null })]);
    s.audit.flush();
    expect(alertLines(s.file)).toEqual([expect.objectContaining({ alert: 'token_replay_suspected', jti: 'jti-alice' })]);
  });

  it('near miss: 3 addresses, however many requests, do not alert', async () => {
    const s = await service();
    for (let round = 0; round < 3; round++) {
      for (const ip of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) await getOrder(s, 'alice', 'ord-user-alice-1', ip);
    }
    expect(s.alerts).toEqual([]);
  });

  it('counts an IPv6 host once per /64 (privacy addresses rotate within it)', async () => {
    const s = await service();
    for (const ip of ['2001:db8:1:2::a', '2001:db8:1:2:ffff::b', '2001:0db8:0001:0002:0:0:0:c', '::ffff:198.51.100.9', '198.51.100.9']) await getOrder(s, 'alice', 'ord-user-alice-1', ip);
    expect(s.alerts).toEqual([]);
  });

  it('counts sightings on other instances', async () => {
    const shared = new FakeStore('redis');
    const a = await service({}, shared);
    const b = await service({}, shared);
    await getOrder(a, 'alice', 'ord-user-alice-1', '198.51.100.1');
    await getOrder(b, 'alice', 'ord-user-alice-1', '198.51.100.2');
    await getOrder(a, 'alice', 'ord-user-alice-1', '198.51.100.3');
    await getOrder(b, 'alice', 'ord-user-alice-1', '198.51.100.1');
    expect([...a.alerts, ...b.alerts]).toEqual([]);
    await getOrder(b, 'alice', 'ord-user-alice-1', '198.51.100.4');
    expect(b.alerts.map((alert) => alert.alert)).toEqual(['token_replay_suspected']);
  });

  it('asks the store once per token and address while the pair is known', async () => {
    const store = new FakeStore();
    const s = await service({}, store);
    for (let i = 0; i < 5; i++) await getOrder(s, 'alice', 'ord-user-alice-1');
    expect(store.consumed.filter((key) => key.startsWith('palisade-audit-replay-pair:'))).toHaveLength(1);
  });
});

describe('bursts of failed credentials (auth_failure_burst)', () => {
  it('alerts at the 20th failed token from one address in a minute', async () => {
    const s = await service();
    for (let i = 0; i < 19; i++) await getOrder(s, `forged-${i}`, 'ord-user-alice-1', '192.0.2.50');
    expect(s.alerts).toEqual([]);
    await getOrder(s, 'forged-19', 'ord-user-alice-1', '192.0.2.50');
    await getOrder(s, 'forged-20', 'ord-user-alice-1', '192.0.2.50');
    expect(s.alerts).toEqual([expect.objectContaining({ alert: 'auth_failure_burst', ip: '192.0.2.50', sub: null, count: 20, windowMs: 60_000 })]);
  });

  it('does not count requests that sent no credentials', async () => {
    const s = await service({ anomalies: { authFailures: { threshold: 2 } } });
    for (let i = 0; i < 5; i++) await send(s.palisade, { url: '/orders/ord-user-alice-1', ip: '192.0.2.50' });
    await s.audit.whenIdle();
    expect(s.alerts).toEqual([]);
  });
});

describe('failures', () => {
  it('an onAlert that throws or rejects never breaks requests, and is recorded', async () => {
    const s = await service({ anomalies: { enumeration: { threshold: 1 } }, onAlert: () => { throw new Error('pager down'); } });
    expect((await getOrder(s, 'alice', 'ord-user-bob-1')).status).toBe(404);
    const t = await service({ anomalies: { enumeration: { threshold: 1 } }, onAlert: () => Promise.reject(new Error('webhook 500')) });
    expect((await getOrder(t, 'alice', 'ord-user-bob-1')).status).toBe(404);
    await new Promise((resolve) => setImmediate(resolve));
    s.audit.flush();
    t.audit.flush();
    expect(readLines(s.file).find((line) => line.type === 'alert_callback_failed')).toMatchObject({ data: { alert: 'bola_enumeration', error: 'Error: pager down' } });
    expect(readLines(t.file).find((line) => line.type === 'alert_callback_failed')).toMatchObject({ data: { error: 'Error: webhook 500' } });
  });

  it('a failing store neither blocks nor breaks requests, and is recorded once', async () => {
    const store = new FakeStore('redis');
    const s = await service({}, store);
    store.failing = true;
    for (let i = 0; i < 3; i++) expect((await getOrder(s, 'alice', 'ord-user-alice-1')).status).toBe(200);
    s.audit.flush();
    expect(readLines(s.file).filter((line) => line.type === 'anomaly_store_error')).toHaveLength(1);
  });

  it('adds no request check to public operations or unmatched requests', async () => {
    const s = await service();
    const { compiled } = s.palisade;
    expect(s.audit.compile(compiled.operationsById.get('health')!, { compiled })).not.toHaveProperty('onRequest');
    expect(s.audit.compile(null, { compiled })).not.toHaveProperty('onRequest');
    expect(s.audit.compile(compiled.operationsById.get('getOrder')!, { compiled })).toHaveProperty('onRequest');
  });
});
