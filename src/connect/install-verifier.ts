import * as jwt from 'atlassian-jwt';
import type { Request } from 'express';
import { checkLifetime, extractToken, readHeader, requestQsh, unauthorized } from './connect-jwt.js';

export type InstallVerifierOptions = {
  appBaseUrl: string;
  keysUrl: string;
  fetch?: typeof fetch;
  now?: () => Date;
  keyCacheMs?: number;
};

// Dot segments would make the key URL resolve outside the key service's path.
const KID_PATTERN = /^(?!\.\.?$)[A-Za-z0-9._-]{1,200}$/;

/**
 * Verifies Jira's RS256-signed lifecycle callbacks: the key named by `kid` is fetched from Atlassian's
 * Connect install-keys service (configurable), never trusted from the request itself.
 */
export class InstallVerifier {
  private readonly keys = new Map<string, { pem: string; fetchedAt: number }>();
  private readonly fetchFn: typeof fetch;
  private readonly now: () => Date;
  private readonly keyCacheMs: number;

  constructor(private readonly options: InstallVerifierOptions) {
    this.fetchFn = options.fetch ?? fetch;
    this.now = options.now ?? (() => new Date());
    this.keyCacheMs = options.keyCacheMs ?? 60 * 60 * 1000;
  }

  /** Returns the verified issuer (the site's clientKey). Throws a 401 AppError otherwise. */
  async verify(req: Request): Promise<string> {
    const token = extractToken(req);
    if (!token) throw unauthorized('Lifecycle callbacks must carry a JWT signed by Atlassian');
    const { alg, kid } = readHeader(token);
    if (alg !== 'RS256') throw unauthorized('Lifecycle callbacks must be signed with RS256');
    if (typeof kid !== 'string' || !KID_PATTERN.test(kid)) throw unauthorized('The JWT key id (kid) is missing or malformed');

    const pem = await this.publicKey(kid);
    let claims: Record<string, unknown>;
    try {
      claims = jwt.decodeAsymmetric(token, pem, jwt.AsymmetricAlgorithm.RS256) as Record<string, unknown>;
    } catch {
      throw unauthorized('The lifecycle JWT signature does not verify');
    }
    checkLifetime(claims, this.now());
    const audiences = Array.isArray(claims['aud']) ? claims['aud'] : [claims['aud']];
    if (!audiences.some((aud) => typeof aud === 'string' && aud.replace(/\/+$/, '') === this.options.appBaseUrl)) {
      throw unauthorized('The lifecycle JWT is addressed to another app (aud)');
    }
    if (claims['qsh'] !== requestQsh(req, this.options.appBaseUrl)) {
      throw unauthorized('The lifecycle JWT was signed for another request (qsh)');
    }
    if (typeof claims['iss'] !== 'string' || claims['iss'].length === 0) throw unauthorized('The lifecycle JWT has no issuer');
    return claims['iss'];
  }

  private async publicKey(kid: string): Promise<string> {
    const cached = this.keys.get(kid);
    if (cached && this.now().getTime() - cached.fetchedAt < this.keyCacheMs) return cached.pem;
    let response: Response;
    try {
      response = await this.fetchFn(`${this.options.keysUrl}/${encodeURIComponent(kid)}`, {
        signal: AbortSignal.timeout(5_000),
      });
    } catch {
      throw unauthorized('The Connect install key could not be fetched');
    }
    if (!response.ok) throw unauthorized('The JWT key id (kid) is unknown to the Connect install-keys service');
    const pem = (await response.text()).trim();
    if (!pem.startsWith('-----BEGIN PUBLIC KEY-----')) throw unauthorized('The Connect install-keys service returned no public key');
    this.keys.set(kid, { pem, fetchedAt: this.now().getTime() });
    return pem;
  }
}
