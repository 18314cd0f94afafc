import { Counter, Gauge, Histogram, Registry as PromRegistry, collectDefaultMetrics } from 'prom-client';
import type { AcdEvent } from '../events/bus';
import type { QueueStats } from '../metrics/metricsService';

/** What the exporter reads at scrape time; main.ts wires the real services in. */
export interface ExporterSources {
  queueIds(): string[];
  queueStats(queueId: string): Promise<QueueStats>;
  ariConnected(): boolean;
  redisReady(): boolean;
  /** undefined: this controller keeps no history. */
  history?(): { databaseDown: boolean; lagMs: number; backlog: number } | undefined;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * Prometheus metrics (prom-client). Gauges are read at scrape time from the live state (callers
 * waiting, longest wait, agents by state per queue) and the health of ARI, Redis, the database and
 * the history writer; counters and latency histograms are folded from the event stream this
 * controller tails (every controller tails the whole stream: each counts every call since it started,
 * so sum by instance is not a total: take max, or one controller's series).
 *   dispatch latency: a caller queued while an agent was ready, until that agent's offer;
 *   hand-over latency: an agent ready again while a caller waited, until that agent's offer.
 */
export class PrometheusExporter {
  readonly registry = new PromRegistry();
  private readonly offers: Counter;
  private readonly answered: Counter;
  private readonly abandoned: Counter;
  private readonly dispatch: Histogram;
  private readonly handOver: Histogram;
  private readonly queuedAt = new Map<string, number>();
  private readonly readyAt = new Map<string, number>();

  constructor(private readonly src: ExporterSources) {
    const r = this.registry;
    collectDefaultMetrics({ register: r, prefix: 'acd_process_' });
    this.offers = new Counter({ name: 'acd_offers_total', help: 'Offers of a call to an agent (each ring of an agent phone)', labelNames: ['queue'], registers: [r] });
    this.answered = new Counter({ name: 'acd_calls_answered_total', help: 'Callers answered by an agent', labelNames: ['queue'], registers: [r] });
    this.abandoned = new Counter({ name: 'acd_calls_abandoned_total', help: 'Callers who hung up before an agent answered', labelNames: ['queue'], registers: [r] });
    this.dispatch = new Histogram({ name: 'acd_dispatch_latency_seconds', help: 'Caller queued with an agent ready -> that agent offered the call', labelNames: ['queue'], buckets: LATENCY_BUCKETS, registers: [r] });
    this.handOver = new Histogram({ name: 'acd_handover_latency_seconds', help: 'Agent ready again with a caller waiting -> the agent offered the call', labelNames: ['queue'], buckets: LATENCY_BUCKETS, registers: [r] });
    const src2 = this.src;
    const queueGauge = (name: string, help: string, value: (s: QueueStats) => number) => new Gauge({
      name, help, labelNames: ['queue'], registers: [r],
      async collect() {
        this.reset();
        for (const q of src2.queueIds()) this.set({ queue: q }, value(await src2.queueStats(q)));
      },
    });
    queueGauge('acd_queue_callers_waiting', 'Callers waiting in the queue now', (s) => s.waiting.callers);
    queueGauge('acd_queue_callbacks_waiting', 'Callback requests waiting in the queue now', (s) => s.waiting.callbacks);
    queueGauge('acd_queue_longest_wait_seconds', 'Wait of the caller waiting longest now', (s) => s.waiting.longestWaitMs / 1000);
    new Gauge({
      name: 'acd_queue_agents', help: 'Agents logged in to the queue, by state', labelNames: ['queue', 'state'], registers: [r],
      async collect() {
        this.reset();
        for (const q of src2.queueIds()) {
          const a = (await src2.queueStats(q)).agents;
          for (const [state, n] of Object.entries({ ready: a.ready, ringing: a.ringing, on_call: a.onCall, wrap_up: a.wrapUp, paused: a.paused })) this.set({ queue: q, state }, n);
        }
      },
    });
    new Gauge({ name: 'acd_ari_connected', help: '1 while the ARI WebSocket is connected', registers: [r], collect() { this.set(src2.ariConnected() ? 1 : 0); } });
    new Gauge({ name: 'acd_redis_up', help: '1 while Redis answers', registers: [r], collect() { this.set(src2.redisReady() ? 1 : 0); } });
    new Gauge({ name: 'acd_database_up', help: '1 while the history database is reachable (absent without a history)', registers: [r],
      collect() { const h = src2.history?.(); if (h) this.set(h.databaseDown ? 0 : 1); } });
    new Gauge({ name: 'acd_history_lag_seconds', help: 'Age of the oldest event not yet in the history', registers: [r],
      collect() { const h = src2.history?.(); if (h) this.set(h.lagMs / 1000); } });
    new Gauge({ name: 'acd_history_backlog_events', help: 'Stream entries not yet in the history (checked while the database is away)', registers: [r],
      collect() { const h = src2.history?.(); if (h) this.set(h.backlog); } });
  }

  onEvent(e: AcdEvent): void {
    const q = typeof e.queueId === 'string' ? e.queueId : '';
    switch (e.type) {
      case 'call.queued':
        if (typeof e.callId === 'string') this.queuedAt.set(e.callId, e.at);
        break;
      case 'agent.state':
        if (e.state === 'ready') this.readyAt.set(String(e.agentId), e.at);
        else if (e.state !== 'reserved') this.readyAt.delete(String(e.agentId));
        break;
      case 'call.offered': {
        this.offers.inc({ queue: q });
        const queued = this.queuedAt.get(String(e.callId));
        const ready = this.readyAt.get(String(e.agentId));
        if (queued !== undefined && ready !== undefined && !e.transfer) {
          if (queued >= ready) this.dispatch.observe({ queue: q }, (e.at - queued) / 1000);
          else this.handOver.observe({ queue: q }, (e.at - ready) / 1000);
        }
        break;
      }
      case 'call.answered':
        if (e.kind !== 'callback') this.answered.inc({ queue: q });
        this.queuedAt.delete(String(e.callId));
        break;
      case 'call.abandoned':
        this.abandoned.inc({ queue: q });
        this.queuedAt.delete(String(e.callId));
        break;
      case 'call.overflowed':
      case 'call.callback_requested':
        this.queuedAt.delete(String(e.callId));
        break;
      default:
    }
  }

  metrics(): Promise<string> { return this.registry.metrics(); }
  get contentType(): string { return this.registry.contentType; }
}
