// The peer: find-my-way, the router fastify uses, holding the same routes
// as Palisade's matcher.
import FindMyWay from 'find-my-way';

export const PEER_NAME = 'find-my-way';

/** `/orders/{orderId}/checkout` -> `/orders/:orderId/checkout`. */
export function toFindMyWayPath(template) {
  return template.replace(/[^/]+/g, (segment) => {
    const whole = /^\{([^{}]+)\}$/.exec(segment);
    if (whole) return `:${whole[1]}`;
    if (segment.includes('{')) {
      // find-my-way spells these differently (`:a-:b`, `:name.json` with
      // restrictions); the generated and reference documents have none.
      throw new Error(`bench: no find-my-way spelling for the path segment "${segment}" of "${template}"`);
    }
    // ':' starts a parameter in find-my-way; '::' is its escape for a literal colon.
    return segment.replace(/:/g, '::');
  });
}

/**
 * A router with one route per operation; each route's store is
 * `{ operationId }`, so a lookup can be checked against Palisade's answer.
 *
 * Options are the defaults except the querystring parser: find-my-way
 * parses the query into an object on every hit, Palisade's matcher only
 * splits it off. The identity parser makes both do the same work (split,
 * don't parse).
 */
export function createPeerRouter(operations) {
  const router = FindMyWay({ querystringParser: identity });
  for (const operation of operations) {
    router.on(operation.method, toFindMyWayPath(operation.pathTemplate), noop, { operationId: operation.operationId });
  }
  return router;
}

function identity(query) {
  return query;
}

function noop() {}
