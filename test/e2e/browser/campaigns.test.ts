import assert from 'node:assert/strict';
import { TEST_ENV, uniqueSchema } from '../../support/env';
import { Browser, screenshot, signIn } from '../harness/browser';
import { eventually } from '../harness/controller';
import { startCaller } from '../harness/sipp';
import { TestRun } from '../harness/suite';

const SALES = { id: 'sales', name: 'Sales Line', extension: '8971' };
const USERS = [
  { id: 'sam', name: 'Sam Super', role: 'supervisor', supervisedQueues: ['sales'], password: 'sam-campaign-pass-1' },
  { id: 'al', name: 'Alice Agent', role: 'agent', agentId: 'a1', password: 'alice-campaign-pass-1' },
];
// two good rows, one refused (letters in the phone column) on line 3 of the file, the header on line 1
const CRM_EXPORT = 'name,phone,city\nBob Brown,+1 (555) 010-2000,Paris\nCarl Cole,call me maybe,Rome\nDee Dunn,555.010.4000,Oslo\n';

describe('browser: campaigns of missed calls (headless Chromium, real controller, Redis, PostgreSQL)', function () {
  this.timeout(180_000);
  const run = new TestRun();
  const browsers: Browser[] = [];
  const launch = async () => { const b = await Browser.launch(`http://127.0.0.1:${run.ctl.httpPort}`); browsers.push(b); return b; };

  afterEach(async function () {
    for (const b of browsers.splice(0)) await b.close();
    await run.end(this);
  });

  it('given a supervisor, when they create a campaign, add one entry by hand and two from a CSV (the refused row shown with its line number), assign an agent and pause and resume it, then the agent\'s dashboard shows the campaign card and the agent logs in to it from there', async () => {
    const ctl = await run.start('web-campaigns', { queues: [SALES], agents: [], users: USERS });
    await ctl.ok('POST', '/agents', { id: 'a1', name: 'Alice Agent', queues: ['sales'], phone: { mode: 'static', contact: 'sip:a1@127.0.0.1:5999' } });
    // a second campaign to move an entry to
    await ctl.ok('POST', '/campaigns', { id: 'later', name: 'Later Calls' });

    const sup = await (await launch()).page('/');
    await signIn(sup, 'sam', 'sam-campaign-pass-1');
    await sup.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Campaigns' }).click();
    await sup.waitForURL(/\/campaigns$/);
    await sup.getByTestId('campaign-row-later').waitFor();
    await sup.getByRole('button', { name: '+ New campaign' }).click();
    const form = sup.getByRole('form', { name: 'New campaign' });
    await form.getByLabel('Name').fill('Spring Callbacks');
    await form.getByLabel('Id (optional)').fill('spring');
    await screenshot(sup, 'campaigns-new');
    await form.getByRole('button', { name: 'Create campaign' }).click();
    await sup.waitForURL(/\/campaigns\/spring$/);
    const created = await ctl.ok('GET', '/campaigns/spring');
    assert.deepEqual([created.name, created.state, created.inboundFirst], ['Spring Callbacks', 'active', true]);

    // entries: one by hand, then the CRM export
    await sup.getByRole('tab', { name: 'Entries' }).click();
    const byHand = sup.getByRole('form', { name: 'Add an entry' });
    await byHand.getByLabel('Number').fill('+15550101000');
    await byHand.getByLabel('Name').fill('Ann Lee');
    await byHand.getByRole('button', { name: 'Add' }).click();
    await sup.getByTestId('entry-+15550101000').waitFor();
    const csv = sup.getByRole('form', { name: 'Import a CSV file' });
    await csv.getByLabel('CSV file').setInputFiles({ name: 'crm-export.csv', mimeType: 'text/csv', buffer: Buffer.from(CRM_EXPORT) });
    // the phone column is chosen from the file's header row
    await eventually(async () => (await csv.getByLabel('Phone column').inputValue()) === '1', 5000, 'the phone column preselected');
    assert.match(await csv.getByLabel('Phone column').locator('option:checked').textContent() ?? '', /^phone/);
    assert.equal(await csv.getByLabel('First row is headers').isChecked(), true);
    await csv.getByRole('button', { name: 'Import' }).click();
    const refused = sup.getByTestId('import-refused');
    await refused.waitFor();
    assert.match(await sup.getByTestId('import-result').textContent() ?? '', /Added 2 entries, refused 1 row/);
    const line3 = refused.getByTestId('refused-line-3');
    assert.match(await line3.textContent() ?? '', /call me maybe/);
    assert.equal(await refused.locator('tbody tr').count(), 1);
    await sup.getByTestId('entry-5550104000').waitFor();
    await screenshot(sup, 'campaign-entries-import');
    const entries = (await ctl.ok('GET', '/campaigns/spring/entries')).entries as any[];
    assert.deepEqual(entries.map((e) => e.number).sort(), ['+15550101000', '+15550102000', '5550104000']);
    assert.equal(entries.find((e) => e.number === '5550104000').details.city, 'Oslo');

    // one entry moved to the other campaign by selecting it
    await sup.getByTestId('entry-5550104000').getByRole('checkbox').check();
    await sup.getByLabel('Move to campaign').selectOption('later');
    await sup.getByRole('group', { name: 'Selected entries' }).getByRole('button', { name: 'Move' }).click();
    await sup.getByRole('group', { name: 'Selected entries' }).getByRole('status').getByText('Moved 1.').waitFor();
    await sup.getByTestId('entry-5550104000').waitFor({ state: 'detached' });
    assert.deepEqual((await ctl.ok('GET', '/campaigns/later/entries')).entries.map((e: any) => e.number), ['5550104000']);

    // the overview's live figures
    await sup.getByRole('tab', { name: 'Overview' }).click();
    await eventually(async () => (await sup.getByTestId('stat-not-dialed').textContent()) === '2', 5000, 'two entries not dialed');
    assert.equal(await sup.getByTestId('stat-waiting').textContent(), '2');

    // agents: assign a1
    await sup.getByRole('tab', { name: 'Agents' }).click();
    await sup.getByLabel('Agent to assign').selectOption('a1');
    await sup.getByRole('button', { name: 'Assign', exact: true }).click();
    await sup.getByTestId('campaign-agent-a1').waitFor();
    assert.deepEqual((await ctl.ok('GET', '/campaigns/spring')).agents, ['a1']);

    // pause and resume the whole campaign from its page
    await sup.getByRole('button', { name: 'Pause campaign Spring Callbacks' }).click();
    await sup.getByRole('heading', { level: 1 }).getByTestId('campaign-state').getByText('paused').waitFor();
    assert.equal((await ctl.ok('GET', '/campaigns/spring')).state, 'paused');
    await sup.getByRole('button', { name: 'Resume campaign Spring Callbacks' }).click();
    await sup.getByRole('heading', { level: 1 }).getByTestId('campaign-state').getByText('active').waitFor();
    assert.equal((await ctl.ok('GET', '/campaigns/spring')).state, 'active');
    // paused again, so that the agent's login below dials nobody
    await sup.getByRole('button', { name: 'Pause campaign Spring Callbacks' }).click();
    await sup.getByRole('heading', { level: 1 }).getByTestId('campaign-state').getByText('paused').waitFor();

    // the agent's dashboard: the card, then the login from it
    const agent = await (await launch()).page('/');
    await signIn(agent, 'al', 'alice-campaign-pass-1');
    await agent.waitForURL(/\/agent$/);
    const card = agent.getByTestId('campaign-card-spring');
    await card.waitFor();
    assert.equal(await agent.getByTestId('campaign-card-later').count(), 0, 'only the campaigns the agent is assigned to');
    assert.equal(await card.getByTestId('not-dialed').textContent(), '2');
    assert.equal(await card.getByTestId('campaign-state').textContent(), 'paused');
    assert.equal(await card.getByTestId('my-campaign-state').textContent(), 'logged out');
    await card.getByRole('button', { name: 'Log in to campaign Spring Callbacks' }).click();
    await card.getByTestId('my-campaign-state').getByText('logged in').waitFor();
    await card.getByTestId('agents-logged-in').getByText('1').waitFor();
    const a1 = ((await ctl.ok('GET', '/campaigns/spring/agents')).agents as any[]).find((x) => x.agentId === 'a1');
    assert.deepEqual([a1.loggedIn, a1.paused], [true, false]);
    await screenshot(agent, 'agent-campaign-card');
    // the supervisor's agents tab shows it live
    await sup.getByTestId('campaign-agent-a1').getByTestId('campaign-agent-state').getByText('logged in').waitFor();
    await screenshot(sup, 'campaign-agents');
  });

  it('given a caller who gave up waiting, when the supervisor adds the missed call\'s card to a campaign, then it is the campaign\'s entry from the missed call and the card says so', async () => {
    const schema = uniqueSchema('web-campaign-missed');
    const ctl = await run.start('web-campaign-missed', { queues: [SALES], agents: [], users: USERS },
      { env: { DATABASE_URL: TEST_ENV.databaseUrl, ACD_HISTORY_SCHEMA: schema } });
    await ctl.ok('POST', '/campaigns', { id: 'spring', name: 'Spring Callbacks' });
    const sup = await (await launch()).page('/');
    await signIn(sup, 'sam', 'sam-campaign-pass-1');
    await sup.waitForURL(/\/supervisor$/);
    await sup.getByRole('tab', { name: 'Missed calls' }).click();
    await sup.getByTestId('missed-calls').waitFor();

    // no agent: the caller waits, then hangs up (abandoned)
    run.track(startCaller({ extension: SALES.extension, callerNumber: '15550971', asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 3000 }));
    const abandoned = await run.events.waitFor((e) => e.type === 'call.abandoned', 20_000, 'call.abandoned');
    const card = sup.getByTestId(`missed-${abandoned.callId}`);
    await card.waitFor({ timeout: 15_000 });
    assert.match(await card.textContent() ?? '', /15550971/);
    assert.match(await card.textContent() ?? '', /abandoned/);
    await screenshot(sup, 'supervisor-missed-calls');
    await card.getByRole('button', { name: 'Add to campaign' }).click();
    await sup.getByTestId('missed-added').getByText('Added 1 to Spring Callbacks.').waitFor();
    await card.getByTestId('missed-in').getByText('In Spring Callbacks').waitFor();
    assert.equal(await card.getByRole('button', { name: 'In this campaign' }).isDisabled(), true);
    const entries = (await ctl.ok('GET', '/campaigns/spring/entries')).entries as any[];
    assert.equal(entries.length, 1);
    assert.deepEqual([entries[0].number, entries[0].source, entries[0].missedCallId], ['15550971', 'missed', abandoned.callId]);
  });
});
