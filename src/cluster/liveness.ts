import type { Logger } from '../logger';
import type { StateStore } from '../state/store';

/** How often a controller tells Redis it is alive. */
export const HEARTBEAT_MS = 1000;
/**
 * A controller not heard of for this long is dead. A few heartbeats: a busy event loop or a Redis
 * blip of a second does not kill a node, and a dead one's agents are free again within seconds.
 */
export const LAPSE_MS = 3000;
/** The claimant of a takeover has this long to finish; then another live controller may claim it again. */
export const CLAIM_MS = 30_000;
/**
 * A controller stopped on purpose (SIGTERM: an upgrade, a planned restart) counts as live this much
 * longer: its callers wait on its Asterisk for it to come back, as with a single controller.
 */
export const RESTART_GRACE_MS = 30_000;

/** Which controllers are alive, as a dispatcher needs to know it (see Dispatcher: the line across controllers). */
export interface LineView {
  /** This controller's node id. */
  readonly self: string;
  /** The controller holding a caller is alive: its dispatcher will offer that caller. */
  isLive(node: string): boolean;
}

/** A LineView for one controller alone (tests, and no cluster): only its own callers are offered. */
export const ALONE: LineView = { self: '', isLive: () => false };

export interface LivenessOptions { heartbeatMs?: number; lapseMs?: number; claimMs?: number }

/**
 * Node liveness: every controller beats once a second into one Redis sorted set (node → last beat);
 * the same step says which nodes are live and which have lapsed. A lapsed node is dead with its
 * Asterisk: one live controller claims it (atomically, so exactly one) and settles what it held
 * (NodeTakeover). The live set it keeps is what the dispatchers read to know whose callers to wait for.
 */
export class NodeLiveness implements LineView {
  private live = new Set<string>();
  /** When the last heartbeat answered: a view older than the lapse is no view (Redis unreachable). */
  private seenAt = 0;
  private beats = 0;
  private timer?: NodeJS.Timeout;
  private beating = false;
  private readonly heartbeatMs: number;
  private readonly lapseMs: number;
  private readonly claimMs: number;

  constructor(
    private readonly state: StateStore,
    readonly self: string,
    /** Settle a dead node's state (NodeTakeover.run); this node holds the claim meanwhile. */
    private readonly takeOver: (dead: string) => Promise<void>,
    private readonly log: Logger,
    /**
     * This node was taken over while it ran (it stalled beyond the lapse): Redis counted its calls
     * lost and freed their agents; what it still holds on its Asterisk must go.
     */
    private readonly onTakenOver: () => void = () => undefined,
    o: LivenessOptions = {},
    private readonly now: () => number = Date.now,
  ) {
    this.heartbeatMs = o.heartbeatMs ?? HEARTBEAT_MS;
    this.lapseMs = o.lapseMs ?? LAPSE_MS;
    this.claimMs = o.claimMs ?? CLAIM_MS;
  }

  start(): void {
    void this.beat();
    this.timer = setInterval(() => void this.beat(), this.heartbeatMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * A planned stop: no more beats, and one last one that keeps this node live for the grace, so
   * that nobody takes over callers who are waiting on its Asterisk for it to come back. The command
   * is sent at once (before the connection's QUIT).
   */
  leave(graceMs = RESTART_GRACE_MS): Promise<unknown> {
    this.stop();
    return this.state.nodeHeartbeat(this.self, this.lapseMs, graceMs, this.heartbeatMs).catch((err: Error) => this.log.warn('last heartbeat failed', { error: err.message }));
  }

  isLive(node: string): boolean {
    if (node === this.self) return true;
    // without a recent beat this node knows nothing of the others: it waits for them (bounded, see
    // the dispatcher) rather than serve out of order
    if (this.now() - this.seenAt > this.lapseMs) return true;
    return this.live.has(node);
  }

  /** One heartbeat, and a takeover of each node due for one. Never two at once. */
  async beat(): Promise<void> {
    if (this.beating) return;
    this.beating = true;
    try {
      const r = await this.state.nodeHeartbeat(this.self, this.lapseMs, 0, this.heartbeatMs);
      this.live = new Set(r.live);
      this.seenAt = this.now();
      if (r.fresh && this.beats > 0) {
        this.log.error('this controller was taken over by another (it was not heard of for too long): dropping its calls', { node: this.self });
        this.onTakenOver();
      }
      this.beats++;
      for (const dead of r.due) if (dead !== this.self) await this.claim(dead);
    } catch (err) {
      this.log.warn('heartbeat failed', { error: (err as Error).message });
    } finally {
      this.beating = false;
    }
  }

  private async claim(dead: string): Promise<void> {
    const r = await this.state.nodeTakeover(dead, this.self, this.lapseMs, this.claimMs);
    if (!r.ok) return;
    this.log.warn('controller lost: taking over its state', { node: dead, lastSeen: new Date(r.value).toISOString() });
    try {
      await this.takeOver(dead);
    } catch (err) {
      // the claim's deadline passes and the takeover is claimed again (each step is idempotent)
      this.log.error('takeover failed', { node: dead, error: (err as Error).message });
    }
  }
}
