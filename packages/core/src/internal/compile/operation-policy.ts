/** The HTTP methods an OpenAPI path item can declare. */
export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE' | 'OPTIONS' | 'HEAD' | 'PATCH' | 'TRACE';

export const HTTP_METHODS: readonly HttpMethod[] = ['GET', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'TRACE'];

/** A schema as written in the document (it may hold internal `$ref`s), with where it is. */
export interface SchemaRef {
  /** JSON pointer of the schema inside the bundled document. */
  readonly pointer: string;
  readonly schema: unknown;
}

export type ParameterLocation = 'path' | 'query' | 'header' | 'cookie';

export interface ParameterPolicy {
  readonly name: string;
  readonly in: ParameterLocation;
  readonly required: boolean;
  readonly schema: SchemaRef | null;
  /** `content` instead of `schema` (a parameter carried as, say, JSON). */
  readonly content: readonly MediaTypePolicy[] | null;
  readonly style: string;
  readonly explode: boolean;
  readonly allowReserved: boolean;
  readonly pointer: string;
}

export interface MediaTypePolicy {
  /** Lower-case media type without parameters (`application/json`). */
  readonly mediaType: string;
  readonly schema: SchemaRef | null;
  readonly pointer: string;
}

export interface RequestBodyPolicy {
  readonly required: boolean;
  readonly content: readonly MediaTypePolicy[];
  readonly pointer: string;
}

export interface ResponsePolicy {
  /** `'200'`, `'2XX'` or `'default'`, as declared. */
  readonly status: string;
  readonly content: readonly MediaTypePolicy[];
  readonly pointer: string;
}

/** One security scheme and the scopes it must carry. */
export interface ScopeRequirement {
  readonly scheme: string;
  readonly scopes: readonly string[];
}

/** Schemes that must all be satisfied together (one entry of OpenAPI's `security` array). */
export type SecurityRequirement = readonly ScopeRequirement[];

export interface RateLimitRule {
  readonly name: string | null;
  readonly by: readonly ('ip' | 'sub' | 'client' | 'operation')[];
  readonly limit: number;
  readonly windowMs: number;
  readonly cost: number;
  readonly blockMs: number | null;
}

export interface QuotaRule {
  readonly by: readonly ('ip' | 'sub' | 'client' | 'operation')[];
  readonly limit: number;
  readonly windowMs: number;
  readonly countOn: 'attempt' | 'success';
}

export interface BruteForceRule {
  /** JSON pointer into the request body of the identifier (username) to count failures for. */
  readonly identifier: string;
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly blockMs: number;
  readonly perAddress: { readonly limit: number; readonly windowMs: number } | null;
}

export interface OwnershipRule {
  /** Name of the loader the service registers in code. */
  readonly resource: string;
  /** The path parameter holding the object's id. */
  readonly param: string;
  readonly ownerField: string;
  readonly claim: string;
  readonly overrideScopes: readonly string[];
}

export interface ClaimTest {
  readonly claim: string;
  readonly test: 'equals' | 'contains' | 'matches';
  readonly value: unknown;
}

export interface ClaimsRule {
  readonly allOf: readonly ClaimTest[];
  readonly anyOf: readonly ClaimTest[];
}

export interface StepUpRule {
  readonly acr: readonly string[];
  readonly amr: readonly string[];
  readonly maxAgeMs: number | null;
}

export interface BodyLimits {
  readonly maxBodyBytes: number | null;
  readonly maxDepth: number | null;
}

export interface SsrfRule {
  readonly fields: readonly string[];
  readonly schemes: readonly ('https' | 'http')[];
}

export interface AuditRule {
  readonly redact: readonly string[];
  readonly event: string | null;
}

/** What the document's `x-palisade-*` extensions say about one operation. `null`: not declared. */
export interface OperationExtensions {
  readonly rateLimits: readonly RateLimitRule[] | null;
  readonly quota: QuotaRule | null;
  readonly bruteForce: BruteForceRule | null;
  readonly ownership: OwnershipRule | null;
  readonly claims: ClaimsRule | null;
  readonly stepUp: StepUpRule | null;
  /** Body limits, the operation's merged over the document's. */
  readonly limits: BodyLimits | null;
  readonly ssrf: SsrfRule | null;
  readonly audit: AuditRule | null;
}

/**
 * Everything Palisade knows about one operation, compiled once at
 * start-up and frozen. Guards read it; nothing changes it.
 */
export interface OperationPolicy {
  readonly operationId: string;
  readonly method: HttpMethod;
  /** The path template as declared (`/orders/{orderId}`). */
  readonly pathTemplate: string;
  /** JSON pointer of the operation object (`/paths/~1orders/get`). */
  readonly pointer: string;
  /** OR of AND-ed requirements. Empty: public. */
  readonly security: readonly SecurityRequirement[];
  /** Where `security` came from: the operation, the document root, or nowhere. */
  readonly securitySource: 'operation' | 'document' | 'none';
  /** True when a caller with no credentials satisfies `security` (`security: []` or an empty `{}` entry). */
  readonly isPublic: boolean;
  readonly parameters: readonly ParameterPolicy[];
  readonly requestBody: RequestBodyPolicy | null;
  readonly responses: readonly ResponsePolicy[];
  readonly extensions: OperationExtensions;
}

/** Document-wide settings from root-level extensions. */
export interface DocumentExtensions {
  readonly rateLimits: readonly RateLimitRule[] | null;
  readonly limits: BodyLimits | null;
}
