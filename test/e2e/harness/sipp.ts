// SIPp harness for the e2e tests: callers, agent phones and registrations against a local Asterisk.
//
// The parts live in ./sipp/ by concern: process.ts (spawning, results), trace.ts (message traces),
// scenario.ts and sdp.ts (XML building blocks), audio.ts (DTMF/voice pcaps), caller.ts, agentPhone.ts,
// register.ts. This file keeps every export importable from one place.
//
// Each helper renders a scenario from a template into a fresh folder (SIPp 3.6.1 does not honour
// -set variables in <pause>, so every number is written into the XML) and spawns
// /usr/bin/sipp on 127.0.0.1 with its own SIP port, message/error traces and statistics file.
// A global -timeout bounds every process, and any sipp still running when Node exits is killed.
//
// Things a test must know:
// - Agent phones are single-purpose UAS processes: they count every new incoming dialog as a call,
//   so the agent's AOR must not be qualified (qualify_frequency=0) or the OPTIONS become failed calls.
// - A re-INVITE (or UPDATE, via -aa) during the talk phase is answered, but restarts the
//   hangupAfterMs timer of that phase.
// - DTMF is RFC 4733 (payload 101) played from a generated pcap through a raw socket: root needed.
// - SippResult.errors also holds benign notes ("receive timeout ..., jumping to label", automatic
//   answers): judge a run by code/successful/failed, not by errors being empty.

export { DEFAULT_ASTERISK_PORT, LOCAL_IP, ReceivedInvite, SippProcess, SippResult } from './sipp/process';
export { TracedMessage, parseTrace } from './sipp/trace';
export { CallerOptions, startCaller } from './sipp/caller';
export { AgentPhoneOptions, startAgentPhone } from './sipp/agentPhone';
export { RegisterOptions, registerPhone } from './sipp/register';
