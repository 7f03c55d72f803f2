/**
 * @palisade/core: the policy engine. Loads an OpenAPI 3.0/3.1 document,
 * compiles it once into per-operation policies, matches requests to
 * operations through their canonical spelling only, runs the guard chain,
 * and turns every denial into an RFC 9457 problem with a stable reason.
 *
 * Core imports no web framework; adapters (`@palisade/express`, ...) map
 * their requests onto `RequestView` and write back what core decides.
 */
export { createPalisade, Palisade, type PalisadeOptions } from './internal/engine/engine';
export { RequestContext } from './internal/engine/request-context';
export type { RequestView, RequestHeaders } from './internal/engine/request-view';
export type { Principal, AuthenticationMethod } from './internal/engine/principal';
export type { Reply } from './internal/engine/reply';
export {
  GUARD_STAGES,
  type Guard,
  type GuardStage,
  type GuardHooks,
  type GuardVerdict,
  type GuardCompileContext,
  type OutgoingResponse,
  type CompletedRequest,
} from './internal/engine/guard';
export { formatStartupReport, type StartupReport, type ReportedOperation, type FrameworkRoute } from './internal/engine/startup-report';
export { Denial, deny, isDenial, type DenialOptions, type FieldError } from './internal/denial';
export { REASONS, REASON_CODES, isReasonCode, type ReasonCode } from './internal/reasons';
export { renderProblem, formatBearerChallenge, PROBLEM_CONTENT_TYPE, type ProblemResponse, type ProblemRenderOptions } from './internal/problem';
export { PalisadeConfigError, PALISADE_ERROR_CODES, closestMatch, type PalisadeErrorCode, type PalisadeConfigErrorDetails } from './internal/errors';
export { createOptionsValidator, parseDuration, deepFreeze, type OptionsSchema } from './internal/options';
export { loadDocument, type LoadedDocument, type OpenApiDocument } from './internal/openapi/load-document';
export { EXTENSIONS, type ExtensionName } from './internal/openapi/extensions';
export { resolvePointer, toPointer } from './internal/openapi/json-pointer';
export { compileDocument, type CompiledDocument } from './internal/compile/compile-document';
export { RouteMatcher, type MatchResult } from './internal/match/route-matcher';
export { computeSecurityHeaders, type SecurityHeadersOptions, type HeaderInstruction } from './internal/http/security-headers';
export { parseContentType, isJsonMediaType, type ContentType } from './internal/http/media-type';
export type { CorsOptions } from './internal/http/cors';
export { chooseRequestId } from './internal/http/request-id';
export { readNodeBody } from './internal/http/read-body';
export {
  HTTP_METHODS,
  type HttpMethod,
  type OperationPolicy,
  type OperationExtensions,
  type DocumentExtensions,
  type SchemaRef,
  type ParameterPolicy,
  type ParameterLocation,
  type MediaTypePolicy,
  type RequestBodyPolicy,
  type ResponsePolicy,
  type ScopeRequirement,
  type SecurityRequirement,
  type RateLimitRule,
  type QuotaRule,
  type BruteForceRule,
  type OwnershipRule,
  type ClaimsRule,
  type ClaimTest,
  type StepUpRule,
  type BodyLimits,
  type SsrfRule,
  type AuditRule,
} from './internal/compile/operation-policy';
export { parseStrictJson, type StrictJsonOptions } from './internal/json/strict-json';
export { compileJsonPointer, type JsonPointerReader } from './internal/json/json-pointer-reader';
