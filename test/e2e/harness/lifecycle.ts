import type { Context } from 'mocha';
import { hangupAllChannels } from './asterisk';
import type { Controller, EventLog } from './controller';
import type { SippProcess } from './sipp';

/**
 * The end of every e2e test: close the event log, stop the SIPp processes and media peers (the
 * arrays are emptied for the next test), keep the controller's log of a failed test, stop the
 * controller, and hang up any channel a SIPp process left behind (it sends no BYE when stopped).
 */
export async function endOfTest(test: Context, live: {
  ctl?: Controller; events?: EventLog; sipp: SippProcess[]; media?: { close(): void }[]; beforeKill?: () => Promise<void>;
}): Promise<void> {
  live.events?.close();
  await Promise.all(live.sipp.splice(0).map((p) => p.stop()));
  for (const m of live.media?.splice(0) ?? []) m.close();
  if (test.currentTest?.state === 'failed' && live.ctl) live.ctl.dumpLogs(test.currentTest.title);
  if (live.ctl && live.beforeKill) await live.beforeKill();
  await live.ctl?.kill();
  await hangupAllChannels();
}
