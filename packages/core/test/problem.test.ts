import { deny, formatBearerChallenge, PROBLEM_CONTENT_TYPE, REASON_CODES, REASONS, renderProblem, type ProblemRenderOptions } from '@palisade/core';
import { describe, expect, it } from 'vitest';

const OPTIONS: ProblemRenderOptions = { typeBase: 'urn:palisade:problem:', realm: null };

describe('renderProblem', () => {
  it('renders RFC 9457 application/problem+json with type, title and status', () => {
    const problem = renderProblem(deny('undeclared_route'), OPTIONS);
    expect(problem.status).toBe(404);
    expect(problem.headers['content-type']).toBe(PROBLEM_CONTENT_TYPE);
    expect(PROBLEM_CONTENT_TYPE).toBe('application/problem+json');
    expect(JSON.parse(problem.body)).toEqual({ type: 'urn:palisade:problem:not-found', title: 'Not Found', status: 404 });
  });

  it.each(REASON_CODES.map((reason) => [reason]))('%s renders its table entry and nothing private', (reason) => {
    const secret = 'SELECT * FROM users -- s3cr3t';
    const cause = new Error(`database password is ${secret}`);
    const problem = renderProblem(deny(reason, { privateDetail: secret, cause }), OPTIONS);
    const body = JSON.parse(problem.body) as Record<string, unknown>;
    expect(problem.status).toBe(REASONS[reason].status);
    expect(body).toEqual({ type: `urn:palisade:problem:${REASONS[reason].type}`, title: REASONS[reason].title, status: REASONS[reason].status });
    // The reason code, the private detail, the cause and its stack stay in the audit trail.
    expect(problem.body).not.toContain(secret);
    expect(problem.body).not.toContain('stack');
    expect(problem.body).not.toContain(' at ');
    expect(problem.body).not.toContain('"reason"');
    expect(JSON.stringify(problem.headers)).not.toContain(secret);
  });

  it('shows the public detail and field errors', () => {
    const problem = renderProblem(
      deny('schema_invalid', { detail: 'The request body does not match its schema.', errors: [{ pointer: '/body/items/0/qty', message: 'must be >= 1' }] }),
      OPTIONS,
    );
    expect(JSON.parse(problem.body)).toEqual({
      type: 'urn:palisade:problem:validation-failed',
      title: 'Bad Request',
      status: 400,
      detail: 'The request body does not match its schema.',
      errors: [{ pointer: '/body/items/0/qty', message: 'must be >= 1' }],
    });
  });

  it('uses the configured type base', () => {
    const problem = renderProblem(deny('rate_limited'), { typeBase: 'https://errors.example/', realm: null });
    expect(JSON.parse(problem.body).type).toBe('https://errors.example/rate-limited');
  });

  it('gives reasons the client must not tell apart the same status, title and type', () => {
    const missingOrNotOwned = renderProblem(deny('not_found_or_not_owner'), OPTIONS);
    const undeclared = renderProblem(deny('undeclared_route'), OPTIONS);
    expect(missingOrNotOwned).toEqual(undeclared);
    const expired = renderProblem(deny('token_expired'), OPTIONS);
    const badSignature = renderProblem(deny('token_signature_invalid'), OPTIONS);
    expect(expired).toEqual(badSignature);
  });

  it('adds the denial headers with lower-case names', () => {
    const problem = renderProblem(deny('rate_limited', { headers: { 'Retry-After': '30', RateLimit: 'limit=10, remaining=0, reset=30' } }), OPTIONS);
    expect(problem.headers).toEqual({ 'content-type': 'application/problem+json', 'retry-after': '30', ratelimit: 'limit=10, remaining=0, reset=30' });
  });

  it('adds no WWW-Authenticate where the reason has no challenge', () => {
    for (const reason of ['bad_credentials', 'access_rule_failed', 'not_found_or_not_owner', 'internal_error'] as const) {
      expect(renderProblem(deny(reason), OPTIONS).headers['www-authenticate']).toBeUndefined();
    }
  });
});

describe('Bearer challenges (RFC 6750 section 3, RFC 9470 section 3)', () => {
  it('is a bare "Bearer" when no token was sent', () => {
    expect(renderProblem(deny('token_missing'), OPTIONS).headers['www-authenticate']).toBe('Bearer');
    expect(formatBearerChallenge('', null, null)).toBe('Bearer');
  });

  it('carries error="invalid_token" for every bad token', () => {
    for (const reason of REASON_CODES.filter((code) => code.startsWith('token_') && code !== 'token_missing')) {
      const problem = renderProblem(deny(reason), OPTIONS);
      expect(problem.status, reason).toBe(401);
      expect(problem.headers['www-authenticate'], reason).toBe('Bearer error="invalid_token"');
    }
  });

  it('names the missing scope, quoted', () => {
    const problem = renderProblem(deny('insufficient_scope', { challengeParams: { scope: 'orders:write orders:read' } }), OPTIONS);
    expect(problem.status).toBe(403);
    expect(problem.headers['www-authenticate']).toBe('Bearer error="insufficient_scope", scope="orders:write orders:read"');
  });

  it('asks for step-up with acr_values', () => {
    const problem = renderProblem(deny('step_up_required', { challengeParams: { acr_values: 'urn:example:acr:mfa' } }), OPTIONS);
    expect(problem.headers['www-authenticate']).toBe('Bearer error="insufficient_user_authentication", acr_values="urn:example:acr:mfa"');
  });

  it('puts the realm first', () => {
    const problem = renderProblem(deny('token_expired'), { typeBase: 'urn:x:', realm: 'orders' });
    expect(problem.headers['www-authenticate']).toBe('Bearer realm="orders", error="invalid_token"');
    expect(formatBearerChallenge('', null, 'orders')).toBe('Bearer realm="orders"');
  });

  it('escapes quotes and backslashes and drops control characters', () => {
    expect(formatBearerChallenge('insufficient_scope', { scope: 'a "b" c\\d' }, null)).toBe('Bearer error="insufficient_scope", scope="a \\"b\\" c\\\\d"');
    // A CR/LF in a parameter must never split the header.
    expect(formatBearerChallenge('insufficient_scope', { scope: 'a\r\nSet-Cookie: x=1\u0000' }, 'r\n')).toBe('Bearer realm="r", error="insufficient_scope", scope="aSet-Cookie: x=1"');
  });
});
