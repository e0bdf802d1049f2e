// Account recovery in headless Chromium, with mail through a real SMTP server on loopback: the
// verification link from the signup mail, and "forgot password" from the login page to a new
// password, each link opened from the mail the server sent.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, uniqueName, PASSWORD } from '../integration/harness.mjs';
import { smtpArgs, startSmtp } from '../integration/smtp.mjs';
import { launch, person, screenshot } from './browser.mjs';

const LIVE = { timeout: 20000 };

describe('account recovery in the browser', { timeout: 180000 }, () => {
  let srv;
  let smtp;
  let browser;
  let visitor;
  const name = uniqueName('forgetful');
  const email = `${name.toLowerCase()}@example.test`;
  const link = (mail) => /(https?:\/\/\S+token=[A-Za-z0-9_-]+)/.exec(mail.text)[1];

  before(async () => {
    smtp = await startSmtp();
    srv = await startServer({ args: [...smtpArgs(smtp), '--public-url', 'http://placeholder.invalid'] });
    // Links in mail carry --public-url; the server's real address is only known once it listens.
    await srv.restart({ args: [...smtpArgs(smtp), '--public-url', `http://127.0.0.1:${srv.port}`, '--listen', `127.0.0.1:${srv.port}`] });
    browser = await launch('account');
    visitor = await person(browser, srv.base);
  });
  after(async () => {
    await browser?.close();
    await srv?.close();
    await smtp?.close();
  });

  it('signs up, opens the verification link from the mail, and the profile says confirmed', async () => {
    const { page } = visitor;
    await page.goto('/signup');
    await page.getByLabel('Username').fill(name);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.locator('#me', { hasText: name }).waitFor(LIVE);
    await page.goto('/profile');
    await page.locator('#email-state', { hasText: 'not confirmed yet' }).waitFor(LIVE);
    await screenshot(page, 'profile-unconfirmed');
    const mail = await smtp.waitForMessage((m) => m.rcpt_tos.includes(email) && /Confirm/.test(m.subject));
    await page.goto(link(mail));
    await page.getByText('your email address is confirmed').waitFor(LIVE);
    await screenshot(page, 'verify-email');
    await page.goto('/profile');
    await page.locator('#email-state', { hasText: 'Your email address is confirmed.' }).waitFor(LIVE);
  });

  it('forgot password: from the login page to the mail, the reset page and a login with the new password', async () => {
    const { page, errors } = visitor;
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.locator('a[href="/login"]', { hasText: 'Log in' }).waitFor(LIVE);
    await page.goto('/login');
    errors.length = 0;  // a request already in flight when the session ended may have met a 401
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByRole('heading', { name: 'Forgot your password?' }).waitFor(LIVE);
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Mail me a link' }).click();
    await page.getByText('If an account uses that address').waitFor(LIVE);
    await screenshot(page, 'forgot-password');

    const mail = await smtp.waitForMessage((m) => m.rcpt_tos.includes(email) && /Reset/.test(m.subject));
    await page.goto(link(mail));
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor(LIVE);
    await page.getByLabel('New password').fill('browser-new-password');
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.getByText('Your password is changed.').waitFor(LIVE);
    await screenshot(page, 'reset-password');

    // The same link a second time is refused, with a way to ask for another.
    await page.goto(link(mail));
    await page.getByLabel('New password').fill('another-password-1');
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.getByText('invalid, already used or expired').waitFor(LIVE);
    await page.getByRole('link', { name: 'Ask for a new link' }).waitFor(LIVE);
    await screenshot(page, 'reset-password-used');

    await page.goto('/login');
    await page.getByLabel('Email or username').fill(name);
    await page.getByLabel('Password').fill('browser-new-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('#me', { hasText: name }).waitFor(LIVE);
    assert.deepEqual(errors.filter((e) => !/status of 422/.test(e)), []);
  });
});
