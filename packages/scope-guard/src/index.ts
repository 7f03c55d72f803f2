/**
 * @palisade/scope-guard: authorization for Palisade. Scopes from the
 * OpenAPI document, claim rules, and object-level ownership (BOLA) through
 * loaders the service provides, answering "not yours" exactly like "not
 * there".
 */
export { createScopeGuard, ownerOf, type ScopeGuardOptions, type ResourceLoader, type CodeClaimRules } from './scope-guard';
