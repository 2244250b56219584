export type FaultSpec = {
  /** Answer with this status and a Jira-like error body instead of handling the call. */
  status?: number;
  /** Sent as the `Retry-After` header (Jira sends it with 429 and some 503s). */
  retryAfterSeconds?: number;
  /** Handle the call but send 200 with the JSON cut short. */
  malformedJson?: boolean;
  /** Wait before answering. */
  delayMs?: number;
  /** Answer 307 to this origin, same path and query: a hijacked site or proxy sending the app elsewhere. */
  redirectTo?: string;
  /** Wait, then drop the connection without any response. */
  hangMs?: number;
};

/** Faults for the next /rest calls, consumed in order, one per call. */
export class FaultInjector {
  /** Added to every /rest call. */
  latencyMs = 0;
  /**
   * Issues per search page with fields, when below Jira's 100: Jira trims pages whose fields are large
   * ("may return fewer items per page"), so a short page does not mean the last one.
   */
  fieldPageLimit: number | null = null;
  private queue: FaultSpec[] = [];

  constructor(private readonly onExpirePageTokens: () => void) {}

  failNext(count: number, spec: FaultSpec): void {
    for (let i = 0; i < count; i++) this.queue.push({ ...spec });
  }

  /** Makes every page token handed out so far answer 400, as when Jira's search context expires. */
  expirePageTokens(): void {
    this.onExpirePageTokens();
  }

  get pending(): number {
    return this.queue.length;
  }

  clear(): void {
    this.queue = [];
    this.latencyMs = 0;
    this.fieldPageLimit = null;
  }

  take(): FaultSpec | undefined {
    return this.queue.shift();
  }
}
