import type { Context } from 'mocha';
import { Controller, EventLog } from './controller';
import { endOfTest } from './lifecycle';
import { allocatePort } from './ports';
import type { SippProcess } from './sipp';

/**
 * What one e2e test holds while it runs — its controller, that controller's event stream, the SIPp
 * processes and media peers it started — with the start and the end every suite shares.
 */
export class TestRun {
  ctl!: Controller;
  events!: EventLog;
  readonly sipp: SippProcess[] = [];
  readonly media: { close(): void }[] = [];
  /** Run at the end of each test while the controller still answers (e.g. removing shared files). */
  beforeKill?: () => Promise<void>;

  /** A controller for this test with this config file content, and its event stream opened. */
  async start(name: string, config: object, o: { env?: Record<string, string> } = {}): Promise<Controller> {
    this.ctl = await Controller.start({ name: name.slice(0, 24), httpPort: allocatePort(), config, env: o.env });
    this.events = await this.ctl.events();
    return this.ctl;
  }

  /** kill -9 and start again on the same state and config, with a new event stream: a controller restart. */
  async restart(pauseMs = 0): Promise<void> {
    this.events.close();
    await this.ctl.kill();
    if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
    await this.ctl.launch();
    this.events = await this.ctl.events();
  }

  /** Stopped (and its leftovers hung up) at the end of the test. */
  track<T extends SippProcess>(p: T): T { this.sipp.push(p); return p; }

  /** An RTP peer or listener, closed at the end of the test. */
  trackMedia<T extends { close(): void }>(m: T): T { this.media.push(m); return m; }

  end(test: Context): Promise<void> { return endOfTest(test, this); }
}
