/**
 * The domain's types in one place: the live state (agents, calls, callbacks, recordings, clips:
 * ./live.ts), roles (./roles.ts), and the configured registry (queues, agents, users, pause reasons,
 * settings), whose types are inferred from their validating schemas in src/config/schema.ts.
 * Import from here; the old places (state/store.ts, config/schema.ts) re-export the same types.
 */
export * from './live';
export * from './roles';
export { ResultCode } from '../state/results';
export type { Outcome, TransitionOutcome } from '../state/results';
export type {
  Queue, Agent, User, Phone, PauseReason, Settings, Overflow, SkillMap, CallbackSettings, FileConfig,
} from '../config/schema';
export type { Permission } from '../access/permissions';
