import type { OperationPolicy } from '../compile/operation-policy';

/** A route the framework has, as the adapter found it (`{param}` template syntax). */
export interface FrameworkRoute {
  /** Upper-case method, or `ALL` for a route that takes every method. */
  readonly method: string;
  readonly path: string;
}

export interface ReportedOperation {
  readonly operationId: string;
  readonly method: string;
  readonly path: string;
  /** `public`, or the security requirements (`oauth2[orders:read]`, OR-ed with ` | `). */
  readonly access: string;
  /** Names of the guards with hooks on this operation. */
  readonly guards: readonly string[];
}

export interface StartupReport {
  readonly operations: readonly ReportedOperation[];
  /** Framework routes the document does not declare: unreachable, and worth removing. */
  readonly undeclaredRoutes: readonly FrameworkRoute[];
  /** Declared operations the framework has no route for: they answer 501. */
  readonly unimplementedOperations: readonly ReportedOperation[];
}

const shapeOf = (path: string) => path.replace(/\{[^{}]*\}/g, '{}');

export function buildStartupReport(
  operations: readonly OperationPolicy[],
  guardsOf: (operation: OperationPolicy) => readonly string[],
  frameworkRoutes: readonly FrameworkRoute[],
): StartupReport {
  const declared = new Set(operations.map((operation) => `${operation.method} ${shapeOf(operation.pathTemplate)}`));
  const declaredPaths = new Set(operations.map((operation) => shapeOf(operation.pathTemplate)));
  const reported = operations.map((operation) => ({
    operationId: operation.operationId,
    method: operation.method,
    path: operation.pathTemplate,
    access: operation.isPublic
      ? 'public'
      : operation.security.map((requirement) => requirement.map((entry) => `${entry.scheme}[${entry.scopes.join(' ')}]`).join(' + ')).join(' | '),
    guards: guardsOf(operation),
  }));
  const undeclaredRoutes = frameworkRoutes.filter((route) => {
    const shape = shapeOf(route.path);
    if (route.method === 'ALL') return !declaredPaths.has(shape);
    return !declared.has(`${route.method} ${shape}`) && !(route.method === 'HEAD' && declared.has(`GET ${shape}`));
  });
  const implemented = new Set(frameworkRoutes.map((route) => `${route.method} ${shapeOf(route.path)}`));
  const implementedAll = new Set(frameworkRoutes.filter((route) => route.method === 'ALL').map((route) => shapeOf(route.path)));
  const unimplementedOperations =
    frameworkRoutes.length === 0
      ? []
      : reported.filter((operation) => !implemented.has(`${operation.method} ${shapeOf(operation.path)}`) && !implementedAll.has(shapeOf(operation.path)));
  return Object.freeze({ operations: reported, undeclaredRoutes, unimplementedOperations });
}

/** The report as a few human lines, for a service's start-up log. */
export function formatStartupReport(report: StartupReport): string {
  const lines = [`palisade: ${report.operations.length} operations compiled`];
  for (const operation of report.operations) {
    lines.push(`  ${operation.method.padEnd(7)} ${operation.path.padEnd(32)} ${operation.operationId.padEnd(16)} ${operation.access}`);
  }
  for (const route of report.undeclaredRoutes) {
    lines.push(`palisade: WARNING undeclared route ${route.method} ${route.path} has a handler but is not in the OpenAPI document; it answers 404`);
  }
  for (const operation of report.unimplementedOperations) {
    lines.push(`palisade: WARNING operation ${operation.operationId} (${operation.method} ${operation.path}) has no handler; it answers 501`);
  }
  return lines.join('\n');
}
