import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

const SSL_REQUEST = 80877103;
const CANCEL_REQUEST = 80877102;
/** Messages after which a client waits for the server: a batch ends here. */
const BATCH_ENDS = new Set(['S', 'Q', 'H', 'X', 'F', 'c', 'f']);

type Connection = {
  id: number;
  socket: Socket;
  buffer: Buffer;
  started: boolean;
  /** The client's startup message, held back from PGlite until the password checks out. */
  startup: Uint8Array | null;
  authenticated: boolean;
  pending: Uint8Array[];
};

/** AuthenticationCleartextPassword: the socket is loopback only, so the password never crosses a wire. */
const ASK_PASSWORD = Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]);

function authenticationFailed(): Buffer {
  const fields = ['SFATAL', 'VFATAL', 'C28P01', 'Mpassword authentication failed']
    .map((field) => `${field}\0`)
    .join('');
  const body = Buffer.from(`${fields}\0`, 'utf8');
  const header = Buffer.alloc(5);
  header.write('E', 0);
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

const digest = (value: Buffer | string): Buffer => createHash('sha256').update(value).digest();
type Batch = { connection: Connection; messages: Uint8Array[] };

/**
 * Serves one in-process PGlite to wire-protocol clients (knex's pg pool, the job queue) on loopback.
 * PGlite itself trusts every client, so the server asks each one for a password generated per process:
 * another user on the machine can reach the port, but cannot read the database.
 *
 * PGlite is a single session. Each client's messages are run as whole batches (up to a Sync or a simple
 * Query) under PGlite's lock, so one client's Parse/Bind/Execute can never interleave with another's;
 * and while a client holds a transaction, only that client's batches run.
 */
export class EmbeddedPostgresServer {
  private server: Server | null = null;
  private readonly connections = new Set<Connection>();
  private queue: Batch[] = [];
  private owner: Connection | null = null;
  private running = false;
  private nextId = 1;
  private readonly passwordDigest: Buffer;
  readonly password: string;
  private readonly notificationListeners = new Set<(channel: string, payload: string) => void>();

  constructor(
    private readonly db: PGlite,
    options: { password?: string } = {},
  ) {
    this.password = options.password ?? randomBytes(24).toString('base64url');
    this.passwordDigest = digest(this.password);
  }

  /**
   * NOTIFY payloads for channels the session LISTENs on. PGlite hands its listeners only what its own query
   * methods read, so notifications raised by wire clients are picked out of their output here.
   */
  onNotification(listener: (channel: string, payload: string) => void): () => void {
    this.notificationListeners.add(listener);
    return () => this.notificationListeners.delete(listener);
  }

  async start(): Promise<{ host: string; port: number; password: string }> {
    await this.db.waitReady;
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address !== 'object')
      throw new Error('embedded PostgreSQL server has no address');
    return { host: '127.0.0.1', port: address.port, password: this.password };
  }

  async stop(): Promise<void> {
    for (const connection of this.connections) connection.socket.destroy();
    this.connections.clear();
    this.queue = [];
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    const connection: Connection = {
      id: this.nextId++,
      socket,
      buffer: Buffer.alloc(0),
      started: false,
      startup: null,
      authenticated: false,
      pending: [],
    };
    this.connections.add(connection);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(connection, chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => void this.drop(connection));
  }

  private receive(connection: Connection, chunk: Buffer): void {
    connection.buffer = Buffer.concat([connection.buffer, chunk]);
    for (;;) {
      const message = this.nextMessage(connection);
      if (message === null) break;
      if (message === 'handled') continue;
      connection.pending.push(message.bytes);
      if (message.type === null || BATCH_ENDS.has(message.type)) {
        this.queue.push({ connection, messages: connection.pending });
        connection.pending = [];
      }
    }
    void this.process();
  }

  /** The next complete message, 'handled' for SSL and cancel requests, or null when more bytes are needed. */
  private nextMessage(connection: Connection): { type: string | null; bytes: Uint8Array } | 'handled' | null {
    const buffer = connection.buffer;
    if (!connection.started) {
      if (buffer.length < 8) return null;
      const length = buffer.readInt32BE(0);
      const code = buffer.readInt32BE(4);
      if (code === SSL_REQUEST) {
        connection.buffer = buffer.subarray(8);
        connection.socket.write('N');
        return 'handled';
      }
      if (code === CANCEL_REQUEST) {
        connection.buffer = buffer.subarray(length);
        return 'handled';
      }
      if (buffer.length < length) return null;
      connection.started = true;
      connection.startup = new Uint8Array(buffer.subarray(0, length));
      connection.buffer = buffer.subarray(length);
      connection.socket.write(ASK_PASSWORD);
      return 'handled';
    }
    if (buffer.length < 5) return null;
    const length = 1 + buffer.readInt32BE(1);
    if (buffer.length < length) return null;
    connection.buffer = buffer.subarray(length);
    const type = String.fromCharCode(buffer[0] ?? 0);
    if (!connection.authenticated) return this.checkPassword(connection, type, buffer.subarray(5, length));
    return { type, bytes: new Uint8Array(buffer.subarray(0, length)) };
  }

  /** The reply to ASK_PASSWORD; only a right one lets the held-back startup message through to PGlite. */
  private checkPassword(
    connection: Connection,
    type: string,
    body: Buffer,
  ): { type: null; bytes: Uint8Array } | 'handled' {
    const given = body.subarray(0, Math.max(0, body.indexOf(0)));
    const startup = connection.startup;
    if (type !== 'p' || startup === null || !timingSafeEqual(digest(given), this.passwordDigest)) {
      connection.buffer = Buffer.alloc(0);
      connection.socket.end(authenticationFailed());
      return 'handled';
    }
    connection.authenticated = true;
    connection.startup = null;
    return { type: null, bytes: startup };
  }

  private async process(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        const index =
          this.owner === null ? 0 : this.queue.findIndex((batch) => batch.connection === this.owner);
        const batch = index >= 0 ? this.queue.splice(index, 1)[0] : undefined;
        if (!batch) return;
        const { connection, messages } = batch;
        await this.db.runExclusive(async () => {
          for (const message of messages) {
            const scanner = new NotificationScanner((channel, payload) => {
              for (const listener of this.notificationListeners) listener(channel, payload);
            });
            await this.db.execProtocolRawStream(message, {
              // PGlite reuses this memory for its next output: a write the socket has to queue must own a copy.
              onRawData: (data) => {
                if (this.notificationListeners.size > 0) scanner.push(data);
                if (!connection.socket.destroyed) connection.socket.write(Buffer.from(data));
              },
            });
          }
        });
        this.owner = this.db.isInTransaction() ? connection : null;
      }
    } finally {
      this.running = false;
    }
  }

  /** A client that disconnects mid-transaction must not leave the single session stuck in it. */
  private async drop(connection: Connection): Promise<void> {
    this.connections.delete(connection);
    this.queue = this.queue.filter((batch) => batch.connection !== connection);
    if (this.owner === connection) {
      this.owner = null;
      if (this.db.isInTransaction()) await this.db.exec('ROLLBACK');
    }
    void this.process();
  }
}

/** Walks a backend message stream by headers, copying out only NotificationResponse ('A') messages. */
class NotificationScanner {
  private header = Buffer.alloc(0);
  private skip = 0;
  private notification: Buffer[] | null = null;
  private notificationLeft = 0;

  constructor(private readonly emit: (channel: string, payload: string) => void) {}

  push(data: Uint8Array): void {
    let offset = 0;
    while (offset < data.length) {
      if (this.notification) {
        const take = Math.min(this.notificationLeft, data.length - offset);
        this.notification.push(Buffer.from(data.subarray(offset, offset + take)));
        this.notificationLeft -= take;
        offset += take;
        if (this.notificationLeft === 0) {
          this.finish(Buffer.concat(this.notification));
          this.notification = null;
        }
        continue;
      }
      if (this.skip > 0) {
        const take = Math.min(this.skip, data.length - offset);
        this.skip -= take;
        offset += take;
        continue;
      }
      const need = 5 - this.header.length;
      const take = Math.min(need, data.length - offset);
      this.header = Buffer.concat([this.header, Buffer.from(data.subarray(offset, offset + take))]);
      offset += take;
      if (this.header.length < 5) continue;
      const type = this.header[0];
      const bodyLength = this.header.readInt32BE(1) - 4;
      this.header = Buffer.alloc(0);
      if (type === 0x41 && bodyLength > 0) {
        this.notification = [];
        this.notificationLeft = bodyLength;
      } else {
        this.skip = Math.max(bodyLength, 0);
      }
    }
  }

  private finish(body: Buffer): void {
    // int32 process id, then channel and payload as NUL-terminated strings.
    const channelEnd = body.indexOf(0, 4);
    const payloadEnd = body.indexOf(0, channelEnd + 1);
    if (channelEnd < 0 || payloadEnd < 0) return;
    this.emit(body.toString('utf8', 4, channelEnd), body.toString('utf8', channelEnd + 1, payloadEnd));
  }
}
