import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { workerLogger } from '../../src/jobs/scheduler.js';
import { captureLogs } from '../support/log-capture.js';

describe("the job queue's log lines", () => {
  it('keep what an error says and leave out the live objects graphile-worker attaches', () => {
    const { logger, lines } = captureLogs();
    const client = new pg.Client({
      connectionString: 'postgres://calendar:s3cret-password@127.0.0.1:1/calendar',
    });
    const error = Object.assign(new Error('Connection terminated unexpectedly'), {
      code: 'ECONNRESET',
      client,
    });
    workerLogger(logger).error('PostgreSQL active client generated error', {
      error,
      client,
      job: { id: '7', attempts: 1 },
    });

    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line['error']).toEqual({
      type: 'Error',
      message: 'Connection terminated unexpectedly',
      code: 'ECONNRESET',
    });
    expect(line['client']).toBeUndefined();
    expect(line['job']).toEqual({ id: '7', attempts: 1 });
    expect(lines[0]).not.toContain('s3cret-password');
    expect(lines[0]!.length).toBeLessThan(400);
  });
});
