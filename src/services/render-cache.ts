/** Bytes of rendered feeds by (feed, variant, ETag). An ETag is a hash of the bytes, so entries never go stale. */
export class RenderCache {
  private readonly entries = new Map<string, { body: Buffer; bodyGzip: Buffer }>();
  private bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly onLookup?: (hit: boolean) => void,
  ) {}

  private static key(feedId: string, variant: string, etag: string): string {
    return `${feedId}|${variant}|${etag}`;
  }

  get(feedId: string, variant: string, etag: string): { body: Buffer; bodyGzip: Buffer } | undefined {
    const key = RenderCache.key(feedId, variant, etag);
    const entry = this.entries.get(key);
    this.onLookup?.(entry !== undefined);
    if (entry) {
      // Map order is insertion order: re-inserting marks the entry as recently used.
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }

  set(feedId: string, variant: string, etag: string, entry: { body: Buffer; bodyGzip: Buffer }): void {
    const size = entry.body.length + entry.bodyGzip.length;
    if (size > this.maxBytes) return;
    const key = RenderCache.key(feedId, variant, etag);
    const existing = this.entries.get(key);
    if (existing) this.bytes -= existing.body.length + existing.bodyGzip.length;
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.bytes += size;
    for (const [oldest, value] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= value.body.length + value.bodyGzip.length;
    }
  }

  get size(): number {
    return this.bytes;
  }
}
