/** The service's settings, read once from the environment (see the reference README). */
export interface OrdersConfig {
  readonly port: number;
  readonly host: string;
  readonly oidcIssuer: string;
  readonly audience: string;
  readonly billingUrl: string | null;
  readonly auditLog: string | null;
  readonly redisUrl: string | null;
  readonly trustProxy: string;
  readonly corsOrigins: readonly string[];
}

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): OrdersConfig {
  const port = env.PORT === undefined || env.PORT === '' ? 3000 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigurationError(`PORT must be a port number (0-65535); received ${JSON.stringify(env.PORT)}.`);
  }
  const oidcIssuer = env.OIDC_ISSUER;
  if (!oidcIssuer) {
    throw new ConfigurationError(
      'OIDC_ISSUER is required: set it to the URL of the token issuer (its metadata is discovered at ${OIDC_ISSUER}/.well-known/openid-configuration; plain http is accepted for loopback hosts only).',
    );
  }
  return {
    port,
    host: env.HOST || '127.0.0.1',
    oidcIssuer,
    audience: env.AUDIENCE || 'orders-api',
    billingUrl: env.BILLING_URL || null,
    auditLog: env.AUDIT_LOG || null,
    redisUrl: env.REDIS_URL || null,
    trustProxy: env.TRUST_PROXY || 'none',
    corsOrigins: (env.CORS_ORIGINS ?? 'https://shop.example')
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
  };
}
