import pg from 'pg';
import type { Logger } from '../logger.js';

export type NotificationHandlers = {
  message(payload: string): void;
  /** Listening (again): notifications sent while it was down are lost, so what they would have changed is unknown. */
  up(): void;
  down(): void;
};

export type StopListening = () => Promise<void>;

const RECONNECT_MS = 1_000;

/** LISTEN on a dedicated connection (not the pool's), reconnecting after a drop until stopped. */
export async function listenPostgres(
  connectionString: string,
  channel: string,
  handlers: NotificationHandlers,
  logger: Logger,
): Promise<StopListening> {
  let stopped = false;
  let client: pg.Client | null = null;
  let timer: NodeJS.Timeout | null = null;
  let healthy = false;

  const markDown = () => {
    if (healthy) {
      healthy = false;
      handlers.down();
    }
  };
  const schedule = () => {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = null;
      void connect();
    }, RECONNECT_MS);
    timer.unref();
  };
  const connect = async () => {
    const next = new pg.Client({ connectionString, application_name: 'calendar-sync-listen' });
    client = next;
    next.on('notification', (message) => {
      if (message.channel === channel && message.payload !== undefined) handlers.message(message.payload);
    });
    const lost = () => {
      if (client !== next) return;
      client = null;
      markDown();
      next.removeAllListeners('end');
      void next.end().catch(() => undefined);
      schedule();
    };
    next.on('error', (error) => {
      logger.warn({ err: error, channel }, 'database notifications lost; reconnecting');
      lost();
    });
    next.on('end', lost);
    try {
      await next.connect();
      await next.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      if (stopped || client !== next) return;
      healthy = true;
      handlers.up();
    } catch {
      lost();
    }
  };

  await connect();
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    const current = client;
    client = null;
    if (current) {
      current.removeAllListeners('end');
      await current.end().catch(() => undefined);
    }
  };
}
