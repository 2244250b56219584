import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import setupTemplateDatabase, { templateDatabase } from '../test/support/global-setup.js';

const ROOT = path.resolve(import.meta.dirname, '..');

/** Every app process a scale run started, so an interrupted bench can still stop them all. */
const started = new Set<ScaleProcess>();

export type ScaleProcess = {
  name: string;
  url: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  /** Error-level log lines so far, and the first few of them. */
  errors: { count: number; first: string[] };
  waitFor(text: string, timeoutMs: number): Promise<void>;
  rssMb(): number | null;
  stop(): Promise<void>;
};

/**
 * `src/main.ts` in its own process group (so a stop reaches anything it spawned). Only the last 64 KiB of
 * its output is kept, with error lines counted: a long run must not grow the bench's own memory.
 */
export function startScaleProcess(name: string, url: string, env: Record<string, string>): ScaleProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let tail = '';
  let seen = '';
  const errors = { count: 0, first: [] as string[] };
  const take = (chunk: Buffer) => {
    const text = chunk.toString();
    tail = (tail + text).slice(-65_536);
    for (const line of text.split('\n')) {
      if (Number(/"level":(\d+)/.exec(line)?.[1] ?? 0) < 50) continue;
      errors.count += 1;
      if (errors.first.length < 5) errors.first.push(line.slice(0, 400));
    }
    if (seen.length < 200_000) seen += text;
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const handle: ScaleProcess = {
    name,
    url,
    child,
    exited,
    errors,
    async waitFor(text, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!seen.includes(text)) {
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`${name}: no "${text}": ${tail.slice(-1500)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    rssMb() {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
      } catch {
        return null;
      }
    },
    async stop() {
      signalGroup(child, 'SIGTERM');
      const timer = new Promise((resolve) => setTimeout(resolve, 15_000).unref());
      await Promise.race([exited, timer]);
      signalGroup(child, 'SIGKILL');
      started.delete(handle);
    },
  };
  started.add(handle);
  return handle;
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Last resort on exit or a signal to the bench: no app process outlives it. */
export function killAllScaleProcesses(): void {
  for (const handle of started) signalGroup(handle.child, 'SIGKILL');
}

let guarded = false;
export function guardScaleProcesses(): void {
  if (guarded) return;
  guarded = true;
  process.on('exit', killAllScaleProcesses);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      killAllScaleProcesses();
      process.exit(130);
    });
  }
}

export type ScaleDatabase = { url: string; name: string; drop(): Promise<void> };

/**
 * A clone of the migrated template, named after the database in DATABASE_URL (`<db>_<tag>_<hex>`), dropped
 * afterwards.
 */
export async function createScaleDatabase(tag: string): Promise<ScaleDatabase> {
  const base = process.env['DATABASE_URL'];
  if (!base) throw new Error('the scale bench needs DATABASE_URL (PostgreSQL)');
  await setupTemplateDatabase();
  const baseName = decodeURIComponent(new URL(base).pathname.slice(1));
  const name = `${baseName}_${tag}_${randomBytes(4).toString('hex')}`.toLowerCase();
  const admin = knexFactory({ client: 'pg', connection: base, pool: { min: 0, max: 1 } });
  try {
    await admin.raw(`CREATE DATABASE ${name} TEMPLATE ${templateDatabase(base)}`);
  } finally {
    await admin.destroy();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const cleanup = knexFactory({ client: 'pg', connection: base, pool: { min: 0, max: 1 } });
      try {
        await cleanup.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await cleanup.destroy();
      }
    },
  };
}
