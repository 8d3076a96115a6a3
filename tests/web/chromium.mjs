// chromium.mjs - what the browser tests share: Debian's Chromium, headless, in a
// persistent profile through playwright-core; a page that records every console
// error, page error and failed request (a CSP violation is one); screenshots by
// name into the shots folder.
//
// usage: const { context, page, problems, shot } = await openBrowser(shots, executablePath, profile);
import { chromium } from 'playwright-core';
import path from 'node:path';

export async function openBrowser(shots, executablePath, profile) {
  const problems = [];
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 860 },
  });
  const page = context.pages()[0] || await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  const shot = (p, name) => p.screenshot({ path: path.join(shots, `${name}.png`), fullPage: false });
  return { context, page, problems, shot };
}
