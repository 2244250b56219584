import { createHash } from 'node:crypto';
import type { LifecycleTokenRepository } from '../../db/lifecycle-token-repository.js';
import { AppError } from '../../errors.js';
import type { VerifiedLifecycleToken } from './install-verifier.js';

/**
 * A lifecycle token's qsh binds only `POST /installed`, not the body with the shared secret and base URL.
 * So each token is good for one callback, and a site's secret changes only with a token issued no earlier
 * than the last one accepted: a token kept back and replayed, with any body, cannot take the site over.
 */
export class InstallReplayGuard {
  constructor(private readonly deps: { tokens: LifecycleTokenRepository; now: () => Date }) {}

  async claim(verified: VerifiedLifecycleToken): Promise<void> {
    const result = await this.deps.tokens.claim(
      verified.issuer,
      {
        sha256: createHash('sha256').update(verified.token).digest('hex'),
        issuedAt: new Date(verified.issuedAt * 1000),
        expiresAt: new Date(verified.expiresAt * 1000),
      },
      this.deps.now(),
    );
    if (result === 'used') throw new AppError(401, 'token_replayed', 'This lifecycle JWT was already used');
    if (result === 'older') {
      throw new AppError(
        401,
        'token_replayed',
        'This lifecycle JWT is older than one already accepted for the site',
      );
    }
  }
}
