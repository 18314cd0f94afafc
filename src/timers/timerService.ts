import type { Logger } from '../logger';
import type { StateStore } from '../state/store';

export type TimerHandler = (parts: string[]) => Promise<void>;

/**
 * Deadlines live in Redis (a sorted set scored by due time); any controller may fire a due one, and
 * the Lua transition it runs checks the deadline and the token, so a timer fires once. setTimeout
 * is only the wake-up: a restarted controller loses nothing. Wakes at the next deadline, and at
 * least every second to notice deadlines other controllers set.
 */
export class TimerService {
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly state: StateStore, private readonly handlers: Record<string, TimerHandler>, private readonly log: Logger) {}

  start(): void { void this.tick(); }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      for (const member of await this.state.dueTimers()) {
        const [kind, ...parts] = member.split('|');
        const handler = this.handlers[kind];
        if (handler) await handler(parts);
        else this.log.warn('timer of unknown kind', { member });
      }
    } catch (err) {
      this.log.warn('timer check failed', { error: (err as Error).message });
    }
    if (this.stopped) return;
    const next = await this.state.nextTimerAt().catch(() => undefined);
    const delay = next === undefined ? 1000 : Math.max(5, Math.min(1000, next - Date.now()));
    this.timer = setTimeout(() => void this.tick(), delay);
  }
}
