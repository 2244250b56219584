import { AppError } from '../../errors.js';
import type { Request } from 'express';
import type { ActiveInstallation } from '../../domain/installation.js';
import type { ForgeInvocation } from './invocation-token.js';

/**
 * The remote's backend routes and the manifest.yml `endpoint` whose `route.path` each one is. Forge signs
 * an endpoint's key into `app.module.key` (type `core:endpoint`, no user), so a route answers only its
 * own endpoint; a test holds this table and manifest.yml to each other. A new route is one entry here.
 */
export const FORGE_BACKEND_ROUTES = {
  lifecycle: { path: '/forge/lifecycle', endpointKey: 'ev-lifecycle' },
  preUninstall: { path: '/forge/lifecycle/pre-uninstall', endpointKey: 'ev-uninstall' },
  issueEvents: { path: '/forge/events/issue', endpointKey: 'ev-issue' },
  planningEvents: { path: '/forge/events/planning', endpointKey: 'ev-planning' },
  hourly: { path: '/forge/cron/hourly', endpointKey: 'ev-hourly' },
} as const satisfies Record<string, BackendRoute>;

export type BackendRoute = { path: string; endpointKey: string };

/** The Custom UI modules whose pages may reach /api, by key, with the module type Forge signs for each. */
export const FORGE_UI_MODULES: Readonly<Record<string, string>> = {
  'calsync-admin': 'jira:adminPage',
  'calsync-configure': 'jira:adminPage',
  'calsync-my-calendars': 'jira:globalPage',
};

/** Forge's module type for an invocation of an `endpoint` that no UI module resolves to. */
export const BACKEND_MODULE_TYPE = 'core:endpoint';

/**
 * Routes a Forge function calls with `invokeRemote` (forge/src/), by the modules whose invocation may name
 * them: Forge's docs do not say whether a function's call names the function or the trigger that ran it,
 * so both are listed; pages (a user) and every other module are refused.
 */
export const FORGE_FUNCTION_ROUTES = {
  privacyNextBatch: {
    path: '/forge/privacy/next-batch',
    moduleKeys: ['calsync-pdr', 'calsync-pdr-hourly'],
  },
  privacyAnswer: { path: '/forge/privacy/answer', moduleKeys: ['calsync-pdr', 'calsync-pdr-hourly'] },
} as const satisfies Record<string, FunctionRoute>;

export type FunctionRoute = { path: string; moduleKeys: readonly string[] };

/** Who may call a route: one backend endpoint, one Forge function, or a signed-in user on the app's pages. */
export type InvocationRule =
  { kind: 'backend'; route: BackendRoute } | { kind: 'function'; route: FunctionRoute } | { kind: 'ui' };

/** A verified invocation of a known installation, of a kind its route admits. */
export type Admitted = { invocation: ForgeInvocation; installation: ActiveInstallation };

/** What the Forge routers need of the door: admitting an invocation by its route's rule. */
export type Admission = {
  admit(req: Request, rule: InvocationRule, options?: { installs?: boolean }): Promise<Admitted>;
};

const wrongInvocation = (message: string): AppError => new AppError(403, 'wrong_invocation', message);

/**
 * Refuses a verified invocation that is not the one the route serves. 403, not 401: the token is
 * Forge's and valid, it is only not for this route (Forge reserves 401 for a token the remote refused).
 */
export function assertInvocationFits(invocation: ForgeInvocation, rule: InvocationRule): void {
  const { module, accountId } = invocation;
  if (rule.kind === 'backend') {
    if (accountId !== null || module?.type !== BACKEND_MODULE_TYPE || module.key !== rule.route.endpointKey) {
      throw wrongInvocation(
        `${rule.route.path} answers only Forge's ${rule.route.endpointKey} endpoint, not ${describe(invocation)}`,
      );
    }
    return;
  }
  if (rule.kind === 'function') {
    const isPage = module !== null && FORGE_UI_MODULES[module.key] !== undefined;
    if (accountId !== null || !module || isPage || !rule.route.moduleKeys.includes(module.key)) {
      throw wrongInvocation(
        `${rule.route.path} answers only the app's ${rule.route.moduleKeys.join(' or ')} function, not ${describe(invocation)}`,
      );
    }
    return;
  }
  const expectedType = module ? FORGE_UI_MODULES[module.key] : undefined;
  if (accountId === null || !module || expectedType === undefined || module.type !== expectedType) {
    throw wrongInvocation(
      `The Calendar Sync API answers only its Jira pages with a signed-in user, not ${describe(invocation)}`,
    );
  }
}

function describe({ module, accountId }: ForgeInvocation): string {
  const what = module ? `${module.type} module ${module.key}` : 'an invocation naming no module';
  return accountId === null ? what : `a user's call from ${what}`;
}
