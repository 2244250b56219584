import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Outside production a missing FEED_TOKEN_SECRET is generated once and kept beside the embedded
 * database, so feed URLs survive restarts of a local install. Production must configure it.
 */
export async function loadOrCreateFeedTokenSecret(dataDir: string): Promise<string> {
  const file = path.resolve(dataDir, 'feed-token-secret');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(path.dirname(file), { recursive: true });
  const secret = randomBytes(32).toString('hex');
  await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  return secret;
}
