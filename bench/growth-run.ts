import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import path from 'node:path';
import { startBenchSite } from './bench-site.js';
import { formatBytes, round, table } from './bench-stats.js';
import {
  runGrowthServing,
  runGrowthSyncs,
  type GrowthServingRow,
  type GrowthSyncRow,
} from './growth-bench.js';

/** 20,000 is the top of a feed's issue cap. */
export const growthSettings = (quick: boolean) => ({
  syncSizes: quick ? [500, 1000, 2000] : [1000, 5000, 20_000],
  urlCounts: quick ? [100, 1000] : [100, 10_000],
  serving: { connections: 20, minimumRequests: 1000 },
});

/** Each size against the smallest: how many times the cost per 1,000 issues grew. */
function perThousand(rows: readonly GrowthSyncRow[], pick: (row: GrowthSyncRow) => number): string[] {
  const base = rows[0];
  return rows.map((row) => {
    const per = pick(row) / (row.issues / 1000);
    const basePer = base ? pick(base) / (base.issues / 1000) : per;
    return `${round(per, 1)} (×${basePer > 0 ? round(per / basePer, 2) : '-'})`;
  });
}

function syncTable(rows: readonly GrowthSyncRow[]): string {
  const ms = perThousand(rows, (row) => row.syncMs);
  const rss = perThousand(rows, (row) => row.peakGrowthMiB);
  const bytes = perThousand(rows, (row) => (row.eventBytes + row.renderBytes) / 1024);
  return table(
    [
      'issues',
      'events',
      'sync (ms)',
      'ms per 1k issues (× smallest)',
      'RSS before → peak (MiB)',
      'peak growth MiB per 1k',
      'DB bytes: events + renders',
      'KiB per 1k issues',
    ],
    rows.map((row, i) => [
      row.issues,
      row.events,
      row.syncMs,
      ms[i]!,
      `${row.rssBeforeMiB} → ${row.peakRssMiB}`,
      rss[i]!,
      `${formatBytes(row.eventBytes)} + ${formatBytes(row.renderBytes)}`,
      bytes[i]!,
    ]),
  );
}

function servingTable(rows: readonly GrowthServingRow[]): string {
  return table(
    [
      'known URLs',
      'requests',
      'req/s',
      'p99 (ms)',
      'errors',
      'non-2xx',
      'RSS before → after (MiB)',
      'heap after (MiB)',
    ],
    rows.map((row) => [
      row.urls,
      row.requests,
      row.requestsPerSecond,
      row.p99Ms,
      row.errors,
      row.non2xx,
      `${row.rssBeforeMiB} → ${row.rssAfterMiB}`,
      row.heapUsedAfterMiB,
    ]),
  );
}

/** `--only=growth`: one feed's sync at growing sizes, then serving against growing numbers of URLs. */
export async function runGrowthCases(
  quick: boolean,
  machine: (databaseKind: string) => Record<string, unknown>,
  log: (message: string) => void,
  out: (text?: string) => void,
): Promise<void> {
  const begun = Date.now();
  const settings = growthSettings(quick);
  const site = await startBenchSite();
  const results: Record<string, unknown> = {
    startedAt: new Date(begun).toISOString(),
    quick,
    settings,
    machine: machine(site.databaseKind),
  };
  try {
    log(`growth: one feed's first sync at ${settings.syncSizes.join(', ')} issues`);
    const syncs = await runGrowthSyncs(site, settings.syncSizes);
    results['sync'] = syncs;
    out(`## Growth: one feed's first sync (${site.databaseKind})\n\n${syncTable(syncs)}\n`);
    log(`growth: serving ${settings.urlCounts.join(' and ')} known personal URLs in a random mix`);
    const serving = await runGrowthServing(site, settings.urlCounts, settings.serving);
    results['serving'] = serving;
    out(
      `## Growth: serving known URLs (${settings.serving.connections} connections, at least ${settings.serving.minimumRequests} requests and one per URL)\n\n${servingTable(serving)}\n`,
    );
  } finally {
    await site.stop();
    results['loadAverage1mAtEnd'] = round(loadavg()[0] ?? 0, 2);
    out(
      `Load average ${String(results['loadAverage1mAtEnd'])} at the end; total ${round((Date.now() - begun) / 1000, 0)} s.`,
    );
    const dir = path.join(import.meta.dirname, 'results');
    await mkdir(dir, { recursive: true });
    const file = path.join(
      dir,
      `growth${quick ? '-quick' : ''}-${new Date(begun).toISOString().replace(/[:.]/g, '-')}-${process.env['DATABASE_URL'] ? 'postgres' : 'pglite'}.json`,
    );
    await writeFile(
      file,
      `${JSON.stringify({ ...results, finishedAt: new Date().toISOString() }, null, 2)}\n`,
    );
    log(`results written to ${path.relative(process.cwd(), file)}`);
  }
}
