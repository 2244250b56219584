import { describe, expect, it } from 'vitest';
import { RenderCache } from '../../src/services/render-cache.js';

const bytes = (n: number) => ({ body: Buffer.alloc(n), bodyGzip: Buffer.alloc(0) });

describe('RenderCache', () => {
  it('returns what was stored under the same feed, variant and ETag only', () => {
    const cache = new RenderCache(1_000);
    cache.set('f', 'all', '"a"', bytes(10));
    expect(cache.get('f', 'all', '"a"')?.body.length).toBe(10);
    expect(cache.get('f', 'all', '"b"')).toBeUndefined();
    expect(cache.get('f', 'v-1', '"a"')).toBeUndefined();
  });

  it('evicts the least recently used entries to stay within its byte budget', () => {
    const cache = new RenderCache(100);
    cache.set('f1', 'all', 'e', bytes(40));
    cache.set('f2', 'all', 'e', bytes(40));
    cache.get('f1', 'all', 'e');
    cache.set('f3', 'all', 'e', bytes(40));
    expect(cache.get('f2', 'all', 'e')).toBeUndefined();
    expect(cache.get('f1', 'all', 'e')).toBeDefined();
    expect(cache.get('f3', 'all', 'e')).toBeDefined();
    expect(cache.size).toBeLessThanOrEqual(100);
    cache.set('huge', 'all', 'e', bytes(101));
    expect(cache.get('huge', 'all', 'e')).toBeUndefined();
  });
});
