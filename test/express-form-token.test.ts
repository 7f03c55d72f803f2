// A token in a form-encoded body (RFC 6750 section 2.2, opted into with
// acceptTokenInBody) over real HTTP through Express: the authentication
// guard reads the body to find the token, and the schema validator, which
// runs after it, still validates that same body and hands it to the handler.
import { createServer, type Server } from 'node:http';
import { mountPalisade } from '@palisade/express';
import { createJwtAuthentication } from '@palisade/jwt-auth';
import { createSchemaValidator } from '@palisade/schema-validator';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaticIssuer, type StaticIssuer } from '../packages/jwt-auth/test/support/static-issuer';
import { close, listen, rawRequest } from './helpers/http';

const document = {
  openapi: '3.1.0',
  info: { title: 'form token', version: '1' },
  components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
  security: [{ bearer: [] }],
  paths: {
    '/messages': {
      post: {
        operationId: 'postMessage',
        requestBody: {
          required: true,
          content: {
            'application/x-www-form-urlencoded': {
              schema: { type: 'object', additionalProperties: false, required: ['text'], properties: { text: { type: 'string', maxLength: 20 }, access_token: { type: 'string' } } },
            },
          },
        },
        responses: { '201': { description: 'ok' } },
      },
    },
  },
};

let issuer: StaticIssuer;
let server: Server;
let base: string;

beforeAll(async () => {
  issuer = await createStaticIssuer('https://forms.issuer.example');
  const app = express();
  const auth = createJwtAuthentication({ issuers: [{ issuer: issuer.issuer, audience: issuer.audience, keys: issuer.jwks }], acceptTokenInBody: true });
  await mountPalisade(app, { document, guards: [auth, createSchemaValidator()] });
  app.post('/messages', (req, res) => res.status(201).json({ received: req.body }));
  server = createServer(app);
  base = await listen(server);
});

afterAll(async () => {
  await close(server);
});

const postForm = (body: string, headers: Record<string, string> = {}) => rawRequest(base, 'POST', '/messages', { headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });

describe('a token in a form body, through Express', () => {
  it('authenticates, and the handler gets the validated body', async () => {
    const res = await postForm(`text=hello&access_token=${await issuer.sign()}`);
    expect(res.status).toBe(201);
    expect(JSON.parse(res.body).received.text).toBe('hello');
  });

  it('still validates the body it read for the token', async () => {
    const res = await postForm(`text=${'x'.repeat(30)}&access_token=${await issuer.sign()}`);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).errors).toEqual([expect.objectContaining({ pointer: '/body/text' })]);
  });

  it('refuses a token in both the header and the body', async () => {
    const res = await postForm(`text=hello&access_token=${await issuer.sign()}`, { authorization: `Bearer ${await issuer.sign()}` });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it('answers 401 without a token anywhere', async () => {
    const res = await postForm('text=hello');
    expect(res.status).toBe(401);
  });
});
