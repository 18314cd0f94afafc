import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BrowserContext, chromium, Page } from 'playwright-core';

/** Debian's Chromium (package chromium), never a downloaded browser. */
export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = path.resolve(__dirname, '../../../../test-output/screenshots');

/**
 * A headless Chromium with its own fresh profile, for one test. Pages open on the controller's own
 * origin (the app is served at / next to the API).
 */
export class Browser {
  private constructor(private readonly ctx: BrowserContext, private readonly profile: string, readonly origin: string) {}

  static async launch(origin: string): Promise<Browser> {
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'acd-chromium-'));
    const ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1440, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
    return new Browser(ctx, profile, origin);
  }

  /** A new tab (its own localStorage is the profile's: use separate Browsers for separate users). */
  async page(route = '/'): Promise<Page> {
    const page = await this.ctx.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(`${this.origin}${route}`);
    return page;
  }

  /** The tab a click opens (window.open, target=_blank). */
  async popup(open: () => Promise<unknown>): Promise<Page> {
    const [page] = await Promise.all([this.ctx.waitForEvent('page'), open()]);
    page.setDefaultTimeout(10_000);
    await page.waitForLoadState();
    return page;
  }

  async close(): Promise<void> {
    await this.ctx.close().catch(() => undefined);
    fs.rmSync(this.profile, { recursive: true, force: true });
  }
}

/** Saved under test-output/screenshots/<name>.png (git-ignored); the README shows copies in docs/screenshots. */
export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Signs in through the sign-in form and waits for the signed-in header. */
export async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}
