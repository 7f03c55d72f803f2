import { createPalisade } from '@palisade/core';
import { createJwtAuthentication } from '@palisade/jwt-auth';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../../../test/helpers/oidc-provider';

let op: TestProvider;
beforeAll(async () => {
  op = await startTestProvider();
});
afterAll(() => op.stop());

it('authenticates real access tokens of a discovered issuer and tells failures apart', async () => {
  const engine = await createPalisade({ document: 'test/fixtures/orders-api.yaml', guards: [createJwtAuthentication({ issuers: [{ issuer: op.issuer, audience: op.audience }] })] });
  const send = async (authorization?: string) => {
    const ctx = engine.startRequest({ method: 'GET', url: '/orders', headers: authorization ? { authorization } : {}, remoteAddress: '127.0.0.1', readBody: null, peerCertificate: null });
    const reply = await engine.checkRequest(ctx);
    return { status: reply?.status ?? 200, reason: ctx.denial?.reason ?? null, challenge: reply?.headers['www-authenticate'] ?? null, sub: ctx.principal?.subject ?? null };
  };
  const token = await op.issueAccessToken({ sub: 'user-alice', scope: 'orders:read' });
  expect(await send(`Bearer ${token}`)).toEqual({ status: 200, reason: null, challenge: null, sub: 'user-alice' });
  expect(await send()).toMatchObject({ status: 401, reason: 'token_missing', challenge: 'Bearer' });
  expect(await send(`Bearer ${await op.issueIdToken({ sub: 'user-alice' })}`)).toMatchObject({ status: 401, reason: 'token_type_invalid', challenge: 'Bearer error="invalid_token"' });
  expect(await send(`Bearer ${await op.issueAccessToken({ sub: 'x', expiresIn: -100 })}`)).toMatchObject({ status: 401, reason: 'token_expired' });
  expect(await send(`Bearer ${await op.issueAccessToken({ sub: 'x', audience: 'other' })}`)).toMatchObject({ status: 401, reason: 'token_audience_invalid' });
  await engine.close();
});
