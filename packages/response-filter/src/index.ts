/**
 * @palisade/response-filter: only what the OpenAPI document declares
 * leaves the service. Each JSON response body is reduced to the fields its
 * response schema declares for its status and media type, per caller
 * scopes (`x-palisade-visible-to`), never with secret fields
 * (`x-palisade-secret`, `writeOnly`); a body that cannot be reconciled with
 * its schema becomes a 500 `response_invalid` problem instead of being sent.
 *
 * A guard for `@palisade/core`, so it works with every adapter.
 */
export {
  createResponseFilter,
  type ResponseFilterOptions,
  type ResponseFilterMode,
  type ResponseViolation,
  type ResponseViolationKind,
} from './internal/create-response-filter';
