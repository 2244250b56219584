import type { Platform } from './api.js';

declare global {
  /** Connect's all.js, as far as the pages use it. */
  interface ConnectHost {
    context: { getToken(callback: (token: unknown) => void): void };
    flag?: { create(options: FlagOptions): unknown };
    resize?(): void;
  }

  type FlagOptions = { title: string; body: string; type: string; close: 'manual' | 'auto' };

  interface Window {
    AP?: ConnectHost;
    /** Set by forge-bridge.js (forge/src/platform-forge.js) inside a Forge Custom UI frame. */
    calendarSyncPlatform?: Platform;
  }
}
