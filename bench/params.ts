// Sizes of every workload, per mode. Both systems run exactly these numbers.
//
// Caller rates are given as one call every `rateMs` / `periodsMs` (the e2e harness runs sipp with
// -r 1 -rp <ms>, and -rp takes whole milliseconds): 20 ms is 50 calls/s, 12 ms 83.3 calls/s.

export type Mode = 'quick' | 'full';

export interface Params {
  mode: Mode;
  /** Every agent phone rings this long before answering (one sipp timer tick is 10 ms). */
  answerAfterMs: number;
  /** Calls before the measurements, discarded: JIT, caches, first-use allocations. */
  warmup: { calls: number; rateMs: number };
  /** No agent: callers pile up waiting, then memory is sampled. */
  hold: { callers: number; rateMs: number; settleMs: number };
  /** Idle agents, a modest rate: pure routing latency. */
  routing: { agents: number; calls: number; rateMs: number; talkMs: number };
  /**
   * One agent, callers waiting: agent hangs up → same agent rung again. Callers arrive one every
   * U(0, 1 s) (random from `seed`, the same for both systems); talkMs ≥ 1000 keeps one waiting.
   * In rounds of `perRound` callers (each round starts with the agent free: perRound − 1 hand-overs).
   */
  handover: { callers: number; perRound: number; talkMs: number; seed: number };
  /** Fewer agents than the arrival rate needs: the queue grows, then drains. */
  overload: { agents: number; rateCps: number; seconds: number };
  /**
   * Rising arrival rates (one call every periodsMs[i]) with spare agents, up to the first step that
   * is not sustained: a failed call, or routing p99 over maxRoutingP99Ms (with idle agents to spare,
   * a longer wait means the system is falling behind: its queue grows for as long as the step lasts).
   */
  ramp: { agents: number; talkMs: number; stepSeconds: number; periodsMs: number[]; patienceMs: number; maxRoutingP99Ms: number };
  /** Bound for every sipp phone process: the whole run must be over by then. */
  runLimitMs: number;
  /** Wait for other work on the machine to calm down before each workload, and re-run disturbed ramp steps. */
  waitForIdleMachine: boolean;
}

export function paramsFor(mode: Mode): Params {
  if (mode === 'quick') {
    // a smoke test of every workload, not numbers to quote: few samples, short steps
    return {
      mode,
      answerAfterMs: 50,
      warmup: { calls: 10, rateMs: 50 },
      hold: { callers: 50, rateMs: 10, settleMs: 500 },
      routing: { agents: 10, calls: 20, rateMs: 100, talkMs: 300 },
      handover: { callers: 8, perRound: 8, talkMs: 1000, seed: 1 },
      overload: { agents: 5, rateCps: 25, seconds: 1 },
      ramp: { agents: 40, talkMs: 300, stepSeconds: 1.6, periodsMs: [40, 20], patienceMs: 5000, maxRoutingP99Ms: 1000 },
      runLimitMs: 10 * 60_000,
      waitForIdleMachine: false, // keeps it under a minute
    };
  }
  return {
    mode,
    answerAfterMs: 50,
    warmup: { calls: 40, rateMs: 50 },
    hold: { callers: 500, rateMs: 20, settleMs: 3000 },
    routing: { agents: 20, calls: 300, rateMs: 200, talkMs: 1000 },
    handover: { callers: 120, perRound: 8, talkMs: 1000, seed: 1 }, // 105 samples: p99 is not just the slowest one
    overload: { agents: 20, rateCps: 50, seconds: 10 },
    // 10 … 200 calls/s; 100 agents talking 500 ms take up to ~175 calls/s
    ramp: { agents: 100, talkMs: 500, stepSeconds: 10, periodsMs: [100, 50, 40, 25, 20, 16, 12, 10, 8, 6, 5], patienceMs: 5000, maxRoutingP99Ms: 1000 },
    runLimitMs: 60 * 60_000,
    waitForIdleMachine: true,
  };
}
