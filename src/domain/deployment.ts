import { createHash } from 'node:crypto';

/**
 * The installations one deployment serves, and so the only ones its jobs and scheduler may touch: every
 * Cloud installation (Connect and Forge), or the one Jira Data Center instance it is configured for.
 * Several deployments can share a database; none of them works another's feeds.
 */
export type DeploymentScope = { edition: 'cloud' } | { edition: 'datacenter'; clientKey: string };

export const CLOUD_DOORS = ['connect', 'forge'] as const;

/**
 * The PostgreSQL schema of the deployment's job queue. Cloud keeps graphile-worker's default; each Data
 * Center deployment has a queue of its own, so its workers never take another deployment's jobs.
 */
export function jobSchemaOf(scope: DeploymentScope): string {
  if (scope.edition === 'cloud') return 'graphile_worker';
  return `graphile_worker_dc_${createHash('sha256').update(scope.clientKey).digest('hex').slice(0, 16)}`;
}

export function inDeployment(
  scope: DeploymentScope,
  installation: { clientKey: string; door: string },
): boolean {
  return scope.edition === 'cloud'
    ? (CLOUD_DOORS as readonly string[]).includes(installation.door)
    : installation.clientKey === scope.clientKey;
}
