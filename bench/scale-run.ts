import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import path from 'node:path';
import { round, table } from './bench-stats.js';
import { runScaleBench, type ScaleSettings } from './scale-bench.js';
import { runTickBench, type TickBenchRow } from './tick-bench.js';

const TICK_SIZES = [1000, 10_000, 50_000];
const TICK_DUE = 20;

export type ScaleSize = 'quick' | 'default' | 'full';

/**
 * `default` is as large as finishes within ten minutes on the 2-core machine the figures come from; `full`
 * (`--size=full`) is the issue's size, 1,000 sites × 10 feeds, and needs about 40 minutes there. Its interval is
 * squeezed to 10 minutes: all 10,000 feeds fall due within it, so meeting it means the real 60-minute interval
 * holds with a sixfold margin.
 */
export function scaleSettings(size: ScaleSize): ScaleSettings {
  const quick = size === 'quick';
  const full = size === 'full';
  return {
    sites: quick ? 20 : full ? 1000 : 100,
    feedsPerSite: quick ? 3 : full ? 10 : 5,
    issuesPerSite: quick ? 300 : 450,
    bigSites: quick ? 1 : full ? 3 : 2,
    bigSiteIssues: quick ? 2000 : 5000,
    latencyMs: [100, 300],
    webOnlyProcesses: 1,
    workerProcesses: 2,
    syncConcurrency: 4,
    compressedIntervalSeconds: quick ? 45 : full ? 600 : 180,
    databasePoolSize: 24,
    restartWindowSeconds: quick ? 30 : full ? 600 : 90,
    servingConnections: quick ? 6 : 12,
    servingRatePerSecond: quick ? 60 : 100,
    delayProbes: quick ? 1 : full ? 5 : 3,
    budgetSeconds: quick ? 400 : full ? 5400 : 780,
  };
}

function tickTable(rows: readonly TickBenchRow[]): string {
  return table(
    [
      'feeds',
      'sites',
      'personal URLs',
      'due',
      'tick median (ms)',
      'tick p99 (ms)',
      'queued per tick',
      'claim plan',
      'rows read',
    ],
    rows.map((row) => [
      row.feeds,
      row.sites,
      row.personalUrls,
      row.due,
      row.tickMedianMs,
      row.tickP99Ms,
      row.queuedPerTick,
      row.claimPlan,
      row.claimRowsScanned,
    ]),
  );
}

export async function runScaleCases(
  which: 'scale' | 'tick',
  size: ScaleSize,
  machine: Record<string, unknown>,
  log: (message: string) => void,
  out: (text?: string) => void,
): Promise<void> {
  const begun = Date.now();
  const quick = size === 'quick';
  const results: Record<string, unknown> = { startedAt: new Date(begun).toISOString(), size, machine };
  try {
    log(`tick: ${TICK_SIZES.join(', ')} feeds, ${TICK_DUE} due`);
    const tick = await runTickBench(quick ? TICK_SIZES.slice(0, 2) : TICK_SIZES, TICK_DUE, quick ? 20 : 50);
    results['tick'] = tick;
    out(`## Scheduler tick against many feeds, ${TICK_DUE} due\n\n${tickTable(tick)}\n`);
    if (which === 'scale') {
      const settings = scaleSettings(size);
      results['settings'] = settings;
      const scale = await runScaleBench(settings, log);
      results['scale'] = scale;
      out(`## Scale\n\n\`\`\`json\n${JSON.stringify(scale, null, 2)}\n\`\`\`\n`);
    }
  } finally {
    results['loadAverage1mAtEnd'] = round(loadavg()[0] ?? 0, 2);
    const dir = path.join(import.meta.dirname, 'results');
    await mkdir(dir, { recursive: true });
    const file = path.join(
      dir,
      `scale-${which}${size === 'default' ? '' : `-${size}`}-${new Date(begun).toISOString().replace(/[:.]/g, '-')}.json`,
    );
    await writeFile(
      file,
      `${JSON.stringify({ ...results, finishedAt: new Date().toISOString() }, null, 2)}\n`,
    );
    log(`results written to ${path.relative(process.cwd(), file)}`);
  }
}
