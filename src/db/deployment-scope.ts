import type { DeploymentScope } from '../domain/deployment.js';
import { CLOUD_DOORS } from '../domain/deployment.js';

/**
 * A SQL condition on `<column>` (a client key) that holds for the deployment's installations only: every
 * query that reads across tenants (the scheduler's) adds it.
 */
export function inScopeSql(
  scope: DeploymentScope,
  column = 'client_key',
): { sql: string; bindings: string[] } {
  if (scope.edition === 'datacenter') return { sql: `${column} = ?`, bindings: [scope.clientKey] };
  return {
    sql: `${column} IN (SELECT client_key FROM installations WHERE door IN (${CLOUD_DOORS.map(() => '?').join(', ')}))`,
    bindings: [...CLOUD_DOORS],
  };
}
