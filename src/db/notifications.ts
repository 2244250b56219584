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
  const listener = new Listener(connectionString, channel, handlers, logger);
  await listener.connect();
  return () => listener.stop();
}

/** One channel's listening connection: at most one client and one reconnect timer at a time. */
class Listener {
  private stopped = false;
  private client: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private healthy = false;

  constructor(
    private readonly connectionString: string,
    private readonly channel: string,
    private readonly handlers: NotificationHandlers,
    private readonly logger: Logger,
  ) {}

  async connect(): Promise<void> {
    const next = new pg.Client({
      connectionString: this.connectionString,
      application_name: 'calendar-sync-listen',
    });
    this.client = next;
    next.on('notification', (message) => {
      if (message.channel === this.channel && message.payload !== undefined)
        this.handlers.message(message.payload);
    });
    next.on('error', (error) => {
      this.logger.warn({ err: error, channel: this.channel }, 'database notifications lost; reconnecting');
      this.lost(next);
    });
    next.on('end', () => this.lost(next));
    try {
      await next.connect();
      await next.query(`LISTEN ${pg.escapeIdentifier(this.channel)}`);
      if (this.stopped || this.client !== next) return;
      this.healthy = true;
      this.handlers.up();
    } catch {
      this.lost(next);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const current = this.client;
    this.client = null;
    if (current) {
      current.removeAllListeners('end');
      await current.end().catch(() => undefined);
    }
  }

  /** The connection `lost` dropped: reconnect, unless it was already replaced or closed. */
  private lost(lost: pg.Client): void {
    if (this.client !== lost) return;
    this.client = null;
    this.markDown();
    lost.removeAllListeners('end');
    void lost.end().catch(() => undefined);
    this.schedule();
  }

  private markDown(): void {
    if (this.healthy) {
      this.healthy = false;
      this.handlers.down();
    }
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, RECONNECT_MS);
    this.timer.unref();
  }
}
