import { randomUUID } from 'node:crypto';
import type { Application } from 'express';

/** What Express 4 keeps for each `use`, `get`, `post`… in a router's stack. */
type Layer = {
  name: string;
  regexp: RegExp & { fast_slash?: boolean };
  keys: { name: string | number }[];
  route?: { path: unknown; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
};

export type MountedRoute = {
  method: string;
  /** Express's own spelling: `/api/feeds/:feedId`; a static folder ends in `/*`. */
  path: string;
};

/** The path a `use` layer is mounted at, read back from the pattern Express compiled it to. */
function mountPath(layer: Layer): string {
  if (layer.regexp.fast_slash) return '';
  let key = 0;
  const path = layer.regexp.source
    .replace(/^\^/, '')
    .replace(/\\\/\?\(\?=\\\/\|\$\)$/, '')
    .replace(/\(\?:\(\[\^\\\/\]\+\?\)\)/g, () => `:${String(layer.keys[key++]?.name)}`)
    .replace(/\\(.)/g, '$1');
  if (/[()[\]|*+?^$]/.test(path))
    throw new Error(`cannot read the mount path of ${String(layer.regexp)}: mount routers at plain paths`);
  return path;
}

function walk(stack: Layer[], prefix: string, found: MountedRoute[]): void {
  for (const layer of stack) {
    if (layer.route) {
      const paths = Array.isArray(layer.route.path) ? (layer.route.path as unknown[]) : [layer.route.path];
      for (const path of paths) {
        if (typeof path !== 'string') throw new Error(`route ${String(path)} is not a plain path`);
        for (const method of Object.keys(layer.route.methods)) {
          found.push({ method: method === '_all' ? 'ALL' : method.toUpperCase(), path: `${prefix}${path}` });
        }
      }
    } else if (layer.name === 'router' && layer.handle.stack) {
      walk(layer.handle.stack, `${prefix}${mountPath(layer)}`, found);
    } else if (layer.name === 'serveStatic') {
      found.push({ method: 'GET', path: `${prefix}${mountPath(layer)}/*` });
    }
  }
}

/**
 * Every route an Express 4 app answers, read from its router stacks (nested routers included), in
 * mounting order and without duplicates. Plain middleware (loggers, headers, parsers) is not a route.
 */
export function mountedRoutes(app: Application): MountedRoute[] {
  const router = (app as unknown as { _router?: { stack: Layer[] } })._router;
  if (!router) throw new Error('the app has no router yet: nothing is mounted');
  const found: MountedRoute[] = [];
  walk(router.stack, '', found);
  const seen = new Set<string>();
  return found.filter((route) => {
    const key = `${route.method} ${route.path}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * A path Express routes to `route`: `ids` fill its parameters (real ids make a bypass visible), any other
 * parameter gets a random UUID, and a static folder a real file of it.
 */
export function examplePath(route: MountedRoute, ids: Record<string, string> = {}): string {
  return route.path
    .replace(/\/:(\w+)/g, (_match, name: string) => `/${encodeURIComponent(ids[name] ?? randomUUID())}`)
    .replace(/\*$/, 'calendar-sync.css');
}
