export type { AgentFirstDialer, AgentFirstHooks, AgentFirstOutcome, AgentFirstRequest } from './types';
export { AgentFirstCalls } from './agentFirstCalls';
export { dialable, dialString } from './numbers';
