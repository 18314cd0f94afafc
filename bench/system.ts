// What the workloads need from a system under test. Both systems take the same callers (same sipp
// scenario, rates and numbers) on the same Asterisk and ring the same agent endpoints and phones.

export interface BenchSystem {
  readonly name: 'acd' | 'app_queue';
  /**
   * The From user of the callers (their display name is their number in both systems). app_queue's
   * callers need a fixed From user: it names the PJSIP endpoint that routes them to Queue().
   */
  callerUser(callerNumber: string): string;
  /** From now on exactly these agents take calls (login/logout, or queue members). */
  useAgents(agentIds: string[]): Promise<void>;
  /** Processes whose CPU time is this system's cost, by name. */
  cpuPids(): Record<string, number>;
  /**
   * Commands its Redis has run so far, by command (INFO commandstats; commands run inside Lua scripts
   * count, as Redis counts them): the ACD only, app_queue keeps no state outside Asterisk.
   */
  redisCommands?(): Promise<Record<string, number>>;
  /** Memory this system holds now, bytes by name (RSS of processes, Redis' used_memory). */
  memory(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

/** The queue extension callers dial, the same number for both systems. */
export const EXTENSION = '9100';
/** Ring timeout of an agent offer, the same for both systems (ACD ringTimeoutSec, queues.conf timeout). */
export const RING_TIMEOUT_SEC = 15;
