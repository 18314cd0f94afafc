import type { Context } from 'mocha';
import { Controller, EventLog } from './controller';
import { endOfTest } from './lifecycle';
import { allocatePort } from './ports';
import type { SippProcess } from './sipp';

/**
 * What one e2e test holds while it runs — its controller, that controller's event stream, the SIPp
 * processes it started — with the start and the end every suite shares.
 */
export class TestRun {
  ctl!: Controller;
  events!: EventLog;
  readonly sipp: SippProcess[] = [];

  /** A controller for this test with this config file content, and its event stream opened. */
  async start(name: string, config: object, o: { env?: Record<string, string> } = {}): Promise<Controller> {
    this.ctl = await Controller.start({ name: name.slice(0, 24), httpPort: allocatePort(), config, env: o.env });
    this.events = await this.ctl.events();
    return this.ctl;
  }

  /** Stopped (and its leftovers hung up) at the end of the test. */
  track<T extends SippProcess>(p: T): T { this.sipp.push(p); return p; }

  end(test: Context): Promise<void> { return endOfTest(test, this); }
}
