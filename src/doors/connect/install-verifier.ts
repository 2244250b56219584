import * as jwt from 'atlassian-jwt';
import type { Request } from 'express';
import { AppError } from '../../errors.js';
import { checkLifetime, extractToken, readHeader, requestQsh, unauthorized } from './connect-jwt.js';

export type InstallVerifierOptions = {
  appBaseUrl: string;
  keysUrl: string;
  fetch?: typeof fetch;
  now?: () => Date;
  keyCacheMs?: number;
  /** How long a kid the key service does not know is refused without asking again. Default 10 min. */
  missCacheMs?: number;
  /** Key fetches per minute, for all kids together. Default 10. */
  fetchesPerMinute?: number;
};

/** A verified lifecycle token: who signed it, when, and the token itself for single-use checks. */
export type VerifiedLifecycleToken = { issuer: string; issuedAt: number; expiresAt: number; token: string };

/** How long a kid is refused without asking again after the key service failed to answer at all. */
const TRANSIENT_MISS_MS = 30_000;

/** Distinct kids remembered, each way; beyond this the oldest entries go. */
const MAX_REMEMBERED_KIDS = 1_000;

// Dot segments would make the key URL resolve outside the key service's path.
const KID_PATTERN = /^(?!\.\.?$)[A-Za-z0-9._-]{1,200}$/;

/**
 * Verifies Jira's RS256-signed lifecycle callbacks: the key named by `kid` is fetched from Atlassian's
 * Connect install-keys service (configurable), never trusted from the request itself.
 */
export class InstallVerifier {
  private readonly keys = new Map<string, { pem: string; fetchedAt: number }>();
  private readonly misses = new Map<string, { until: number; error: AppError }>();
  private readonly inFlight = new Map<string, Promise<string>>();
  private fetchTimes: number[] = [];
  private readonly fetchFn: typeof fetch;
  private readonly now: () => Date;
  private readonly keyCacheMs: number;
  private readonly missCacheMs: number;
  private readonly fetchesPerMinute: number;

  constructor(private readonly options: InstallVerifierOptions) {
    this.fetchFn = options.fetch ?? fetch;
    this.now = options.now ?? (() => new Date());
    this.keyCacheMs = options.keyCacheMs ?? 60 * 60 * 1000;
    this.missCacheMs = options.missCacheMs ?? 10 * 60 * 1000;
    this.fetchesPerMinute = options.fetchesPerMinute ?? 10;
  }

  /** Returns the verified token; its issuer is the site's clientKey. Throws a 401 AppError otherwise. */
  async verify(req: Request): Promise<VerifiedLifecycleToken> {
    const token = extractToken(req);
    if (!token) throw unauthorized('Lifecycle callbacks must carry a JWT signed by Atlassian');
    const { alg, kid } = readHeader(token);
    if (alg !== 'RS256') throw unauthorized('Lifecycle callbacks must be signed with RS256');
    if (typeof kid !== 'string' || !KID_PATTERN.test(kid))
      throw unauthorized('The JWT key id (kid) is missing or malformed');

    const pem = await this.publicKey(kid);
    let claims: Record<string, unknown>;
    try {
      claims = jwt.decodeAsymmetric(token, pem, jwt.AsymmetricAlgorithm.RS256) as Record<string, unknown>;
    } catch {
      throw unauthorized('The lifecycle JWT signature does not verify');
    }
    checkLifetime(claims, this.now());
    const audiences = Array.isArray(claims['aud']) ? claims['aud'] : [claims['aud']];
    if (
      !audiences.some((aud) => typeof aud === 'string' && aud.replace(/\/+$/, '') === this.options.appBaseUrl)
    ) {
      throw unauthorized('The lifecycle JWT is addressed to another app (aud)');
    }
    if (claims['qsh'] !== requestQsh(req, this.options.appBaseUrl)) {
      throw unauthorized('The lifecycle JWT was signed for another request (qsh)');
    }
    if (typeof claims['iss'] !== 'string' || claims['iss'].length === 0)
      throw unauthorized('The lifecycle JWT has no issuer');
    if (typeof claims['iat'] !== 'number') throw unauthorized('The lifecycle JWT has no issue time (iat)');
    return { issuer: claims['iss'], issuedAt: claims['iat'], expiresAt: claims['exp'] as number, token };
  }

  /** Every unknown kid would otherwise cost one request to Atlassian's key service, for anyone who asks. */
  private async publicKey(kid: string): Promise<string> {
    const now = this.now().getTime();
    const cached = this.keys.get(kid);
    if (cached && now - cached.fetchedAt < this.keyCacheMs) return cached.pem;
    const miss = this.misses.get(kid);
    if (miss && now < miss.until) throw miss.error;
    const pending = this.inFlight.get(kid);
    if (pending) return pending;
    this.fetchTimes = this.fetchTimes.filter((at) => now - at < 60_000);
    if (this.fetchTimes.length >= this.fetchesPerMinute) {
      throw new AppError(
        503,
        'key_service_busy',
        'Too many install keys were looked up just now; try again in a minute',
        { retryable: true },
      );
    }
    this.fetchTimes.push(now);
    const fetching = this.fetchKey(kid).then((result) => {
      if ('pem' in result) {
        remember(this.keys, kid, { pem: result.pem, fetchedAt: this.now().getTime() });
        this.misses.delete(kid);
        return result.pem;
      }
      // A key service that is down is asked again soon; one that does not know the kid, much later.
      const until = this.now().getTime() + (result.transient ? TRANSIENT_MISS_MS : this.missCacheMs);
      remember(this.misses, kid, { until, error: result.error });
      throw result.error;
    });
    this.inFlight.set(kid, fetching);
    try {
      return await fetching;
    } finally {
      this.inFlight.delete(kid);
    }
  }

  private async fetchKey(kid: string): Promise<{ pem: string } | { error: AppError; transient: boolean }> {
    let response: Response;
    try {
      response = await this.fetchFn(`${this.options.keysUrl}/${encodeURIComponent(kid)}`, {
        signal: AbortSignal.timeout(5_000),
      });
    } catch {
      return { error: unauthorized('The Connect install key could not be fetched'), transient: true };
    }
    if (!response.ok) {
      const transient = response.status >= 500 || response.status === 429;
      return {
        error: unauthorized('The JWT key id (kid) is unknown to the Connect install-keys service'),
        transient,
      };
    }
    const pem = (await response.text()).trim();
    if (!pem.startsWith('-----BEGIN PUBLIC KEY-----')) {
      return {
        error: unauthorized('The Connect install-keys service returned no public key'),
        transient: true,
      };
    }
    return { pem };
  }
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  const oldest = map.keys().next();
  if (map.size > MAX_REMEMBERED_KIDS && !oldest.done) map.delete(oldest.value);
}
