import { createServer } from 'node:net';
import { generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { InvocationTokenVerifier } from '../../src/doors/forge/invocation-token.js';

const APP_ID = 'ari:cloud:ecosystem::app/11111111-2222-3333-4444-555555555555';
const CLOUD_ID = '99999999-8888-7777-6666-555555555555';
const INSTALLATION = 'ari:cloud:ecosystem::installation/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';

/** A port nothing listens on: a refused connection, like Forge's CDN out of reach. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function fit(): Promise<string> {
  const { privateKey } = await generateKeyPair('RS256');
  return new SignJWT({
    app: {
      id: APP_ID,
      installationId: INSTALLATION,
      apiBaseUrl: `https://api.atlassian.com/ex/jira/${CLOUD_ID}`,
    },
  })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer('forge/invocation-token')
    .setAudience(APP_ID)
    .setIssuedAt()
    .setExpirationTime('1m')
    .sign(privateKey);
}

describe('InvocationTokenVerifier', () => {
  it('answers a retryable 503, not a 401, when Forge’s key set cannot be fetched', async () => {
    const verifier = new InvocationTokenVerifier({
      appId: APP_ID,
      jwksUrl: `http://127.0.0.1:${await closedPort()}/.well-known/jwks.json`,
      apiHosts: ['api.atlassian.com'],
      allowHttp: false,
    });
    await expect(verifier.verify(await fit())).rejects.toMatchObject({
      status: 503,
      code: 'forge_keys_unavailable',
      retryable: true,
    });
  });

  it('refuses a token that is not a JWT with a 401 without fetching any key', async () => {
    const verifier = new InvocationTokenVerifier({
      appId: APP_ID,
      jwksUrl: `http://127.0.0.1:${await closedPort()}/.well-known/jwks.json`,
      apiHosts: ['api.atlassian.com'],
      allowHttp: false,
    });
    await expect(verifier.verify('not.a.jwt')).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
  });
});
