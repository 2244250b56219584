import { createServer, type OutgoingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon, { type AutocannonOptions, type AutocannonResult } from 'autocannon';
import { rawGet, type RawResponse } from './bench-site.js';
import { round } from './bench-stats.js';

export type LoadSettings = { connections: number; durationSeconds: number; warmupSeconds: number };

export type ServingBenchRow = {
  target: 'app' | 'bare node:http';
  encoding: 'identity' | 'gzip';
  responseBytes: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  mbPerSecond: number;
};

const HOP_HEADERS = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);

/** Autocannon on its own worker thread, so the load generator does not share the server's event loop. */
export async function cannon(options: AutocannonOptions): Promise<AutocannonResult> {
  return autocannon({ workers: 1, pipelining: 1, timeout: 10, ...options });
}

export const errorsOf = (result: AutocannonResult): number => result.errors + result.timeouts;

/** A server that does nothing but send back recorded bytes and headers: the floor for serving a feed. */
async function startReplayServer(
  plain: RawResponse,
  gzip: RawResponse,
): Promise<{ url: string; server: Server }> {
  const headersOf = (response: RawResponse): OutgoingHttpHeaders =>
    Object.fromEntries(Object.entries(response.headers).filter(([name]) => !HOP_HEADERS.has(name)));
  const plainHeaders = headersOf(plain);
  const gzipHeaders = headersOf(gzip);
  const server = createServer((req, res) => {
    const wantsGzip = /\bgzip\b/i.test(req.headers['accept-encoding'] ?? '');
    res.writeHead(200, wantsGzip ? gzipHeaders : plainHeaders);
    res.end(wantsGzip ? gzip.body : plain.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

export async function runServingBench(feedUrl: string, settings: LoadSettings): Promise<ServingBenchRow[]> {
  const gzipHeader = { 'accept-encoding': 'gzip' };
  const plain = await rawGet(feedUrl);
  const gzip = await rawGet(feedUrl, gzipHeader);
  if (plain.status !== 200 || gzip.status !== 200 || gzip.headers['content-encoding'] !== 'gzip') {
    throw new Error(
      `feed URL did not serve plain and gzip bytes (${plain.status}, ${gzip.status}, ${String(gzip.headers['content-encoding'])})`,
    );
  }
  const replay = await startReplayServer(plain, gzip);
  try {
    const replayed = await rawGet(`${replay.url}/`, gzipHeader);
    if (!replayed.body.equals(gzip.body)) throw new Error("the replay server does not send the app's bytes");

    const appUrl = new URL(feedUrl);
    const targets = [
      { target: 'app', url: feedUrl },
      { target: 'bare node:http', url: `${replay.url}${appUrl.pathname}` },
    ] as const;
    const rows: ServingBenchRow[] = [];
    for (const encoding of ['identity', 'gzip'] as const) {
      for (const { target, url } of targets) {
        const headers = encoding === 'gzip' ? gzipHeader : {};
        if (settings.warmupSeconds > 0)
          await cannon({ url, headers, connections: settings.connections, duration: settings.warmupSeconds });
        const result = await cannon({
          url,
          headers,
          connections: settings.connections,
          duration: settings.durationSeconds,
        });
        rows.push({
          target,
          encoding,
          responseBytes: (encoding === 'gzip' ? gzip : plain).body.length,
          requestsPerSecond: round(result.requests.average),
          p50Ms: result.latency.p50,
          p99Ms: result.latency.p99,
          errors: errorsOf(result),
          non2xx: result.non2xx,
          mbPerSecond: round(result.throughput.average / 1e6, 1),
        });
        // Lets the app's fetch-count writes from the last run finish before the next one starts.
        await sleep(1000);
      }
    }
    return rows;
  } finally {
    replay.server.closeAllConnections();
    await new Promise<void>((resolve) => replay.server.close(() => resolve()));
  }
}
