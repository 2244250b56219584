/**
 * `tsx bench/served-memory.ts [entries]`: heap held by the memory of served feed URLs when full, with
 * entries shaped like the app's (each lookup builds its own meta and subscription objects).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ServedFeeds } from '../src/services/served-feeds.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const entries = Number(process.argv[2] ?? 100_000);
const clientKey = randomUUID();
const feeds = Array.from({ length: 50 }, () => randomUUID());
const served = new ServedFeeds(entries);
gc();
const before = process.memoryUsage().heapUsed;
for (let i = 0; i < entries; i++) {
  const feedId = feeds[i % feeds.length]!;
  served.put(
    randomBytes(32).toString('hex'),
    {
      meta: {
        feedId,
        variant: `u:${randomBytes(16).toString('hex')}`,
        etag: `"${randomBytes(16).toString('hex')}"`,
        dataHash: randomBytes(32).toString('hex'),
        lastModified: new Date(),
        eventCount: 1271,
      },
      subscription: {
        id: randomUUID(),
        feedId,
        clientKey,
        accountId: `5b10a2844c20165700ede${String(i).padStart(6, '0')}`,
        calendar: 'all',
        tokenNonce: randomBytes(32).toString('base64url'),
        createdAt: new Date(),
        rotatedAt: null,
        revokedAt: null,
        lastFetchedAt: new Date(),
        fetchCount: 3,
        urlShownAt: new Date(),
      },
    },
    served.generation(),
  );
}
gc();
const held = process.memoryUsage().heapUsed - before;
process.stdout.write(
  `${served.size} served URLs hold ${(held / 1024 / 1024).toFixed(1)} MiB of heap, ${Math.round(held / served.size)} bytes each\n`,
);
