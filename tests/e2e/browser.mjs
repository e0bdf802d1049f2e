// Headless Chromium (Debian's `chromium`) driven by playwright-core, for the web UI's end-to-end
// tests. Every page's console errors and uncaught exceptions are collected so a test can assert
// that a flow ran clean; screenshots go to one folder a person can open afterwards.
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { chromium } from 'playwright-core';
import { BIN, PASSWORD } from '../integration/harness.mjs';

export const SCREENSHOTS = process.env.BACKBEAT_E2E_SCREENSHOTS || path.join(path.dirname(BIN), 'e2e-screenshots');

function chromiumPath() {
  for (const candidate of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (candidate && fs.existsSync(candidate)) return candidate;
  }
  throw new Error('Chromium not found: install the Debian package `chromium` (scripts/setup.sh test does).');
}

let folder = SCREENSHOTS;
export const screenshotDir = () => folder;

// name: this test file's screenshot folder under SCREENSHOTS, emptied first (only this run's).
export async function launch(name) {
  folder = path.join(SCREENSHOTS, name);
  fs.rmSync(folder, { recursive: true, force: true });
  fs.mkdirSync(folder, { recursive: true });
  return chromium.launch({
    executablePath: chromiumPath(),
    args: ['--autoplay-policy=no-user-gesture-required', '--mute-audio', '--no-sandbox', '--disable-dev-shm-usage'],
  });
}

// A browser context as one person: its own storage (so its own session), a page, and the list of
// console errors seen on it.
export async function person(browser, base, { viewport = { width: 1280, height: 860 } } = {}) {
  const context = await browser.newContext({ baseURL: base, viewport, acceptDownloads: true });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(`console: ${msg.text()}`); });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  return { context, page, errors };
}

export async function screenshot(page, name) {
  const file = path.join(folder, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

// Steps that build on each other: once one fails, the later ones fail at once instead of waiting
// out their timeouts on a page in an unknown state. Returns step(name, fn) for one describe.
export function steps() {
  let broken = null;
  return function step(name, fn) {
    it(name, async () => {
      if (broken) assert.fail(`not run: the step "${broken}" failed`);
      try {
        await fn();
      } catch (error) {
        broken = name;
        throw error;
      }
    });
  };
}

// Signs a new account up through the page and waits for the header to show it.
export async function signUp(page, username, { timeout = 20000 } = {}) {
  await page.goto('/signup');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Email').fill(`${username}@example.test`);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.locator('#me', { hasText: username }).waitFor({ timeout });
}
