/**
 * @palisade/schema-validator: request validation from the OpenAPI
 * document. Parameters and bodies are checked with ajv validators compiled
 * once at start-up; bodies are parsed strictly (size, depth, media type,
 * duplicate and prototype keys) and undeclared properties refused (mass
 * assignment). The same schemas check what the service consumes from
 * third-party APIs (`createUpstreamClient`).
 */
export { createSchemaValidator, type SchemaValidator, type SchemaValidatorOptions, type SchemaWarning, type SchemaWarningCode, type RegExpEngine } from './schema-validator';
export { createUpstreamClient, UpstreamError, type UpstreamClient, type UpstreamClientOptions, type UpstreamRequest, type UpstreamErrorCode } from './upstream-client';
