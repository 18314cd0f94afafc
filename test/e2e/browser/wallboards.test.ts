import assert from 'node:assert/strict';
import { TEST_ENV } from '../../support/env';
import { Browser, screenshot, signIn } from '../harness/browser';
import { eventually } from '../harness/controller';
import { startCaller } from '../harness/sipp';
import { TestRun } from '../harness/suite';

describe('browser: wallboards (headless Chromium, real SIP)', function () {
  this.timeout(120_000);
  const run = new TestRun();
  let browser: Browser | undefined;
  let tv: Browser | undefined;

  afterEach(async function () {
    await browser?.close();
    await tv?.close();
    browser = undefined; tv = undefined;
    await run.end(this);
  });

  it('given a wallboard built in the page and launched at its URL, a new caller shows on it; its display token reads nothing else; revoked, the screen shows nothing', async () => {
    const ctl = await run.start('web-wall', {
      queues: [{ id: 'sales', name: 'Sales Line', extension: '8971' }, { id: 'support', name: 'Support Desk', extension: '8972' }],
      agents: [],
      users: [{ id: 'sam', name: 'Sam Super', role: 'supervisor', supervisedQueues: ['sales', 'support'], password: 'sam-web-pass-1' }],
    });
    const origin = `http://127.0.0.1:${ctl.httpPort}`;
    browser = await Browser.launch(origin);
    const page = await browser.page('/');
    await signIn(page, 'sam', 'sam-web-pass-1');
    await page.getByRole('link', { name: 'Wallboards' }).click();
    await page.getByRole('link', { name: '+ New wallboard' }).click();

    // a field error from the API first: no name
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('[data-field-error="name"]').getByText('a wallboard needs a name').waitFor();

    await page.getByLabel('Name').fill('Floor 2');
    await page.getByLabel('Description').fill('Sales floor TV');
    await page.getByLabel('Widget to add').selectOption('callersWaiting');
    await page.getByRole('button', { name: 'Add widget' }).click();
    await page.getByLabel('Widget to add').selectOption('agentsByState');
    await page.getByRole('button', { name: 'Add widget' }).click();
    await page.getByLabel('Widget to add').selectOption('dayChart');
    await page.getByRole('button', { name: 'Add widget' }).click();
    // edit a widget: the second one becomes "Calls today by outcome", titled
    const second = page.getByTestId('widget-editor-1');
    await second.getByLabel('Widget', { exact: true }).selectOption('callsTodayByOutcome');
    await second.getByLabel('Title (optional)').fill('Today');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/wallboards\/wb-[0-9a-f]+$/);
    await page.getByRole('status').getByText('Saved').waitFor();
    const id = page.url().split('/').pop()!;
    const stored = await ctl.ok('GET', `/wallboards/${id}`);
    assert.equal(stored.name, 'Floor 2');
    assert.deepEqual(stored.widgets.map((w: any) => [w.kind, w.title ?? null, w.queues]),
      [['callersWaiting', null, ['sales']], ['callsTodayByOutcome', 'Today', ['sales']], ['dayChart', null, ['sales']]]);
    await screenshot(page, 'wallboard-editor');

    // launched: a new tab at the wallboard's own URL with a display token
    const wall = await browser.popup(() => page.getByRole('button', { name: 'Launch full screen' }).click());
    assert.match(wall.url(), new RegExp(`/wall/${id}\\?token=`));
    const token = new URL(wall.url()).searchParams.get('token')!;
    // the TV is another machine: the same URL in a browser with no session
    tv = await Browser.launch(origin);
    const screen = await tv.page(new URL(wall.url()).pathname + new URL(wall.url()).search);
    await screen.getByTestId('callers-waiting').getByText('0', { exact: true }).waitFor();
    await screen.getByRole('heading', { name: 'Floor 2' }).waitFor();

    run.track(startCaller({ extension: '8971', callerNumber: '15550971', asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 60_000 }));
    const queued = await run.events.waitFor((e) => e.type === 'call.queued' && e.queueId === 'sales', 10_000, 'call.queued');
    await screen.getByTestId('callers-waiting').getByText('1', { exact: true }).waitFor();
    // reported, not asserted (timing bounds belong to the benchmark): the issue asks for under a second
    process.stdout.write(`      (the wallboard showed the new caller ${Date.now() - Date.parse(queued.at)} ms after call.queued)\n`);
    await screenshot(screen, 'wallboard-display');

    // the display token is no user token: it reads this wallboard and nothing else
    assert.equal((await ctl.request('GET', '/queues', undefined, token)).status, 401);
    assert.equal((await ctl.request('GET', `/wallboards/${id}`, undefined, token)).status, 401);
    assert.equal((await ctl.request('GET', '/display', undefined, token)).status, 200);
    await assert.rejects(ctl.events(token), /401/);

    // revoked from the editor: the open screen goes blank at once, and the URL shows nothing again
    await page.reload();
    await page.getByRole('button', { name: 'Revoke' }).first().waitFor();
    const displays = (await ctl.ok('GET', `/wallboards/${id}/displays`)).displays;
    assert.equal(displays.length, 1);
    await page.getByRole('button', { name: 'Revoke' }).click();
    await screen.getByTestId('wall-revoked').waitFor();
    assert.equal(await screen.getByTestId('callers-waiting').count(), 0, 'no figures left on the revoked screen');
    assert.equal((await ctl.request('GET', '/display', undefined, token)).status, 401);
    await screenshot(screen, 'wallboard-display-revoked');
    const again = await tv.page(new URL(wall.url()).pathname + new URL(wall.url()).search);
    await again.getByTestId('wall-revoked').waitFor();
    assert.equal(await again.getByTestId('callers-waiting').count(), 0);

    // archive, then delete, from the list
    await page.getByRole('link', { name: 'all wallboards' }).click();
    const row = page.getByTestId('wallboard-Floor 2');
    await row.getByRole('button', { name: 'Archive' }).click();
    await row.getByText('archived').waitFor();
    assert.equal((await ctl.ok('GET', `/wallboards/${id}`)).archived, true);
    await screenshot(page, 'wallboards-list');
    page.once('dialog', (d) => void d.accept());
    await row.getByRole('button', { name: 'Delete' }).click();
    await eventually(async () => (await ctl.request('GET', `/wallboards/${id}`)).status === 404, 5000, 'wallboard deleted');
    await page.getByText('No wallboards yet.').waitFor();
  });
});
