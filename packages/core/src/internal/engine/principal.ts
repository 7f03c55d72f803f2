/** How a caller proved who it is. */
export type AuthenticationMethod = 'jwt' | 'introspection' | 'api_key' | 'custom';

/**
 * The authenticated caller, as the authentication guard established it.
 * Later guards and handlers read this; nothing re-parses the token.
 */
export interface Principal {
  /** `sub`: the user (or client, for client-credentials tokens). */
  readonly subject: string | null;
  /** `client_id` / `azp`: the application acting. */
  readonly clientId: string | null;
  readonly scopes: ReadonlySet<string>;
  /** Every claim of the token, frozen. */
  readonly claims: Readonly<Record<string, unknown>>;
  readonly method: AuthenticationMethod;
  readonly issuer: string | null;
  /** `jti`, when the token has one. */
  readonly tokenId: string | null;
  readonly acr: string | null;
  readonly amr: readonly string[];
  /** `auth_time` in seconds since the epoch, or null. */
  readonly authTime: number | null;
  /** `exp` in seconds since the epoch, or null. */
  readonly expiresAt: number | null;
}
