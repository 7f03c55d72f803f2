/**
 * @palisade/express: mounts Palisade on an Express 5 app. The adapter only
 * translates: Express request -> core's `RequestView`, core's decisions ->
 * the response. Policy, reasons and rendering all live in `@palisade/core`.
 */
export { mountPalisade, type MountedPalisade, type MountPalisadeOptions } from './mount-palisade';
export { getPalisadeContext, getPrincipal } from './request-state';
