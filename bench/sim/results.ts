// The scale bench's result shapes, apart from the bench so the chart and the table read them without a circle.
import type { Summary } from '../stats';

export interface Step { agents: number; waiting: number; queues: number }
export interface StepResult extends Step {
  queuesPerAgent: number;
  offers: number;
  handovers: Summary | null;
  /** Hang-ups whose agent got no new offer before the window closed (+1 s). */
  handoversMissing: number;
  controllerCpuMsPerOffer: number;
  redisCpuMsPerOffer: number;
  redisCommandsPerOffer: number;
  /** The commands that make up most of it, per offer. */
  redisTopCommands: Record<string, number>;
  /** ARI requests the controller made per offer, all and by route; ARI events the simulator sent per offer, by type. */
  ariRequestsPerOffer?: number;
  ariRequestsByRoute?: Record<string, number>;
  ariEventsPerOffer?: Record<string, number>;
  controllerRssMiB: number;
  redisUsedMiB: number;
  eventLagMs: Summary | null;
  /** The simulator's (this process's) event-loop delay in the window: what of the hand-over is the bench's own. */
  simLoopDelayMs?: { p50: number; p99: number; max: number };
  /** How the step was set up: seconds to start and provision, to log in, to fill the queues. */
  setupSec: { start: number; login: number; fill: number };
  actual: { talking: number; waiting: number };
  loadAvg: { before: number; after: number };
  unsupported: Record<string, number>;
}
export interface ScaleResults {
  mode: 'quick' | 'full';
  label: string;
  commit: string;
  startedAt: string;
  finishedAt: string;
  machine: { nproc: number; cpuModel: string; node: string };
  params: { rate: number; seconds: number };
  steps: StepResult[];
}
