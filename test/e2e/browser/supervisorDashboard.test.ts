import assert from 'node:assert/strict';
import { TEST_ENV } from '../../support/env';
import { staticEndpoint } from '../harness/asterisk';
import { Browser, screenshot, signIn } from '../harness/browser';
import { eventually, sleep } from '../harness/controller';
import { allocatePort } from '../harness/ports';
import { RtpPeer } from '../harness/rtpPeer';
import { startAgentPhone, startCaller } from '../harness/sipp';
import { TestRun } from '../harness/suite';

const CALLER_HZ = 440;
const AGENT_HZ = 660;
const SUPERVISOR_HZ = 880;
const HEARD = 0.08;
const NOT_HEARD = 0.02;

describe('browser: the supervisor dashboard (headless Chromium, real SIP)', function () {
  this.timeout(120_000);
  const run = new TestRun();
  let browser: Browser | undefined;
  const peers: RtpPeer[] = [];
  const peer = async (hz: number) => { const p = await RtpPeer.open(hz); peers.push(p); return p; };

  afterEach(async function () {
    await browser?.close();
    browser = undefined;
    for (const p of peers.splice(0)) p.close();
    await run.end(this);
  });

  it('given a live call in a supervised queue, the supervisor sees it, listens from the page (the phone rings and hears both parties), switches to whisper (the agent hears them, the caller not), and logs another agent out', async () => {
    const ctl = await run.start('web-sup', {
      queues: [{ id: 'sales', name: 'Sales Line', extension: '8961' }, { id: 'support', name: 'Support Desk', extension: '8962' }],
      agents: [],
      users: [{ id: 'sam', name: 'Sam Super', role: 'supervisor', supervisedQueues: ['sales', 'support'], endpoint: 'PJSIP/e2e-web-sup', password: 'sam-web-pass-1' }],
    });
    const agentMedia = await peer(AGENT_HZ);
    const a1Port = allocatePort();
    run.track(startAgentPhone({ port: a1Port, calls: 1, mediaPort: agentMedia.port }));
    await ctl.ok('POST', '/agents', { id: 'a1', name: 'Ann Agent', queues: ['sales'], phone: { mode: 'static', contact: `sip:a1@127.0.0.1:${a1Port}` } });
    await ctl.ok('POST', '/agents', { id: 'a2', name: 'Bob Agent', queues: ['sales', 'support'], phone: { mode: 'static', contact: `sip:a2@127.0.0.1:${allocatePort()}` } });
    await ctl.ok('POST', '/agents/a1/login');
    const supMedia = await peer(SUPERVISOR_HZ);
    const supPort = allocatePort();
    const supPhone = run.track(startAgentPhone({ port: supPort, calls: 1, mediaPort: supMedia.port }));
    await staticEndpoint('e2e-web-sup', supPort);

    browser = await Browser.launch(`http://127.0.0.1:${ctl.httpPort}`);
    const page = await browser.page('/');
    await signIn(page, 'sam', 'sam-web-pass-1');
    await page.waitForURL(/\/supervisor$/);
    await page.getByTestId('overview-sales').waitFor();
    await screenshot(page, 'supervisor-overview');

    const callerMedia = await peer(CALLER_HZ);
    run.track(startCaller({ extension: '8961', callerNumber: '15550961', asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 90_000, mediaPort: callerMedia.port }));
    const answered = await run.events.waitFor((e) => e.type === 'call.answered' && e.agentId === 'a1', 10_000, 'call.answered');
    await eventually(async () => callerMedia.hears(AGENT_HZ, 500) > HEARD && agentMedia.hears(CALLER_HZ, 500) > HEARD, 8000, 'caller and agent talk');

    await page.getByRole('button', { name: 'Sales Line' }).click();
    const a1Row = page.getByTestId('agent-row-a1');
    await a1Row.getByTestId('agent-state').getByText('on call').waitFor();
    await a1Row.getByTestId('agent-call').getByText('15550961').waitFor();
    await page.getByTestId(`caller-${answered.callId}`).getByText('with Ann Agent').waitFor();
    await screenshot(page, 'supervisor-queue-live-call');

    await a1Row.getByRole('button', { name: 'Listen to Ann Agent' }).click();
    const connected = await run.events.waitFor((e) => e.type === 'monitor.connected', 10_000, 'monitor.connected');
    assert.equal(supPhone.invites().length, 1, 'the supervisor\'s phone rang');
    await eventually(async () => supMedia.hears(CALLER_HZ, 800) > HEARD && supMedia.hears(AGENT_HZ, 800) > HEARD, 8000,
      () => `listen: the supervisor hears caller and agent (${supMedia.hears(CALLER_HZ, 800)}, ${supMedia.hears(AGENT_HZ, 800)})`);
    assert.ok(agentMedia.hears(SUPERVISOR_HZ) < NOT_HEARD && callerMedia.hears(SUPERVISOR_HZ) < NOT_HEARD, 'listen: nobody hears the supervisor');
    await a1Row.getByTestId('monitoring').getByText('listen').waitFor();
    await screenshot(page, 'supervisor-listening');

    await a1Row.getByRole('button', { name: 'Switch to whisper' }).click();
    await run.events.waitFor((e) => e.type === 'monitor.mode_changed' && e.monitorId === connected.monitorId && e.mode === 'whisper', 5000, 'whisper');
    await eventually(async () => agentMedia.hears(SUPERVISOR_HZ, 800) > HEARD, 8000, 'whisper: the agent hears the supervisor');
    await sleep(1000);
    assert.ok(callerMedia.hears(SUPERVISOR_HZ) < NOT_HEARD, `whisper: the caller does not hear the supervisor (${callerMedia.hears(SUPERVISOR_HZ)})`);
    await a1Row.getByTestId('monitoring').getByText('whisper').waitFor();

    // log Bob in from "+ log in agents" (the search finds him), then out from his row
    await page.getByRole('button', { name: '+ log in agents' }).click();
    await page.getByLabel('Search agents').fill('bob');
    await page.getByRole('button', { name: 'Log in to Sales Line' }).click();
    await run.events.waitFor((e) => e.type === 'agent.state' && e.agentId === 'a2' && e.state !== 'logged_out', 5000, 'a2 logged in');
    await screenshot(page, 'supervisor-log-in-agents');
    await page.getByTestId('agent-row-a2').getByRole('button', { name: 'Log out Bob Agent' }).click();
    await run.events.waitFor((e) => e.type === 'agent.state' && e.agentId === 'a2' && e.state === 'logged_out', 5000, 'a2 logged out');
    assert.equal((await ctl.agentState('a2')).state, 'logged_out');
    await page.getByTestId('agent-row-a2').getByTestId('agent-state').getByText('logged out').waitFor();

    // the Agents and Callers tabs across queues
    await page.getByRole('tab', { name: 'Agents' }).click();
    await page.getByTestId('agent-row-a1').waitFor();
    await screenshot(page, 'supervisor-agents-tab');
    await page.getByRole('tab', { name: 'Callers' }).click();
    await page.getByTestId(`caller-${answered.callId}`).waitFor();
    await screenshot(page, 'supervisor-callers-tab');
    await page.getByRole('tab', { name: 'Callback requests' }).click();
    await screenshot(page, 'supervisor-callbacks-tab');
  });
});
