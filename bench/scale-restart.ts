import type { Knex } from 'knex';
import { rawGet } from './bench-site.js';
import { round } from './bench-stats.js';
import type { ScaleProcess } from './scale-processes.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** What a load balancer's drain gives a process before it is stopped. */
const DRAIN_MS = 1_000;

export type RestartResult = {
  restarts: number;
  /** Exit codes of the stopped processes: 0 is a clean SIGTERM shutdown. */
  exitCodes: (number | null)[];
  requests: number;
  statuses: Record<string, number>;
  status5xx: number;
  /** Requests to a process in service that got no answer. */
  errors: number;
  /** The most syncs of one site seen running at once: more than 1 is a sync run beside another. */
  maxRunningPerSite: number;
  staleFeedsAfter: number;
  errorLogLines: number;
  seconds: number;
};

/**
 * Stops (SIGTERM) and starts each process in turn while calendar apps poll through a "load balancer" that
 * sends only to processes in service, and every feed falls due once within `windowSeconds`.
 */
export async function rollingRestart(deps: {
  processes: ScaleProcess[];
  relaunch: (index: number) => Promise<ScaleProcess>;
  knex: Knex;
  paths: readonly string[];
  feeds: number;
  windowSeconds: number;
}): Promise<RestartResult> {
  const { processes, knex } = deps;
  const started = new Date();
  await knex.raw(`UPDATE feed_syncs SET next_sync_at = now() + random() * make_interval(secs => ?)`, [
    deps.windowSeconds,
  ]);
  const live = new Set(processes.map((_, index) => index));
  const statuses: Record<string, number> = {};
  let errors = 0;
  let maxRunningPerSite = 0;
  let stop = false;
  let cursor = 0;
  const poll = async () => {
    while (!stop) {
      const n = cursor++;
      const index = [...live][n % live.size];
      if (index === undefined) {
        await sleep(50);
        continue;
      }
      try {
        const response = await rawGet(`${processes[index]!.url}${deps.paths[n % deps.paths.length]!}`);
        statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      } catch {
        errors += 1;
      }
      await sleep(20);
    }
  };
  const watchSyncs = async () => {
    while (!stop) {
      const { rows } = await knex.raw<{ rows: { n: number }[] }>(
        `SELECT coalesce(max(n), 0)::int AS n FROM (
           SELECT count(*) AS n FROM feed_syncs WHERE state = 'running' GROUP BY client_key) AS running`,
      );
      maxRunningPerSite = Math.max(maxRunningPerSite, rows[0]?.n ?? 0);
      await sleep(500);
    }
  };
  const load = [poll(), poll(), poll(), poll(), watchSyncs()];
  const exitCodes: (number | null)[] = [];
  let errorLogLines = 0;
  try {
    for (let index = 0; index < processes.length; index++) {
      live.delete(index);
      await sleep(DRAIN_MS);
      const old = processes[index]!;
      await old.stop();
      exitCodes.push(old.child.exitCode);
      errorLogLines += old.errors.count;
      processes[index] = await deps.relaunch(index);
      live.add(index);
    }
    const deadline = Date.now() + (deps.windowSeconds + 75) * 1000;
    let synced = 0;
    for (;;) {
      const { rows } = await knex.raw<{ rows: { n: number }[] }>(
        'SELECT count(*)::int AS n FROM feed_syncs WHERE last_success_at >= ?',
        [started],
      );
      synced = rows[0]?.n ?? 0;
      if (synced >= deps.feeds || Date.now() > deadline) break;
      await sleep(1000);
    }
    stop = true;
    await Promise.all(load);
    const requests = Object.values(statuses).reduce((sum, count) => sum + count, 0);
    return {
      restarts: exitCodes.length,
      exitCodes,
      requests,
      statuses,
      status5xx: Object.entries(statuses)
        .filter(([status]) => Number(status) >= 500)
        .reduce((sum, [, count]) => sum + count, 0),
      errors,
      maxRunningPerSite,
      staleFeedsAfter: deps.feeds - synced,
      errorLogLines: errorLogLines + processes.reduce((sum, app) => sum + app.errors.count, 0),
      seconds: round((Date.now() - started.getTime()) / 1000),
    };
  } finally {
    stop = true;
    await Promise.allSettled(load);
  }
}
