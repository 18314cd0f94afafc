import type { Queue } from '../../config/schema';
import type { AcdEvent } from '../../events/bus';
import type { Registry } from '../../registry/registry';
import type { StateStore } from '../../state/store';
import type { CallService } from './callService';
import type { CallCore, CallSession } from '../core';

/** A caller ringing an agent when its wait runs out is looked at again this much later. */
const WHILE_RINGING_MS = 1000;

/**
 * The queue policies that act on callers already waiting: the maximum wait (counted from joining
 * the queue, as Redis records it, so a controller restart re-arms the same deadline) and leaving
 * when the queue becomes empty. Both send the caller to the queue's overflow (CallService.overflow).
 */
export class WaitingPolicy {
  private readonly deadlines = new Map<string, NodeJS.Timeout>();

  constructor(core: CallCore, private readonly calls: CallService, private readonly state: StateStore, private readonly registry: Registry) {
    core.events.on('queued', (s, q) => void this.armMaxWait(s, q));
  }

  private async armMaxWait(s: CallSession, queue: Queue): Promise<void> {
    this.clear(s.callId);
    if (!queue.maxWaitSec) return;
    const rec = await this.state.call(s.callId);
    if (!rec) return;
    const deadline = (rec.queuedAt ?? rec.enqueuedAt) + queue.maxWaitSec * 1000;
    this.at(s.callId, queue.id, deadline);
  }

  private at(callId: string, queueId: string, when: number): void {
    const t = setTimeout(() => void this.waitedTooLong(callId, queueId), Math.max(0, when - Date.now()));
    t.unref();
    this.deadlines.set(callId, t);
  }

  private async waitedTooLong(callId: string, queueId: string): Promise<void> {
    this.deadlines.delete(callId);
    const s = this.calls.liveSession(callId);
    if (!s || s.queueId !== queueId) return;               // gone, or already in another queue
    if (s.state === 'offered') { this.at(callId, queueId, Date.now() + WHILE_RINGING_MS); return; }
    if (s.state === 'waiting') await this.calls.overflow(callId, 'timeout');
  }

  private clear(callId: string): void {
    const t = this.deadlines.get(callId);
    if (t) clearTimeout(t);
    this.deadlines.delete(callId);
  }

  /**
   * Leave when empty: an agent's state changed (logout, pause, phone offline...). Callers of ours in
   * queues with leaveWhenEmpty go to the overflow; call_overflow checks the emptiness atomically,
   * so a queue that is not empty keeps them.
   */
  onEvent(e: AcdEvent): void {
    if (e.type !== 'agent.state') return;
    for (const s of this.calls.liveSessions()) {
      if (s.state !== 'waiting') continue;
      const q = this.registry.findQueue(s.queueId);
      if (q && q.leaveWhenEmpty !== 'no') void this.calls.overflow(s.callId, 'empty');
    }
  }

  stop(): void {
    for (const t of this.deadlines.values()) clearTimeout(t);
    this.deadlines.clear();
  }
}
