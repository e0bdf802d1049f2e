// A real SMTP server for tests (tests/integration/smtp_server.py: Debian's aiosmtpd on loopback,
// STARTTLS with a certificate made at start, AUTH when a user is given), driven from Node.
//   const smtp = await startSmtp({ tls: true, user: 'mailer', password: 'pw' });
//   smtp.port, smtp.caFile, smtp.messages (parsed: subject, text, html, attachments with paths)
//   await smtp.setMode('hang' | 'tempfail' | 'reject' | 'ok'); await smtp.waitForMessage((m) => ..., ms)
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';  // Debian's, which has python3-aiosmtpd

export async function startSmtp({ tls = false, user, password, port = 0 } = {}) {
  const dir = tempDir('backbeat-smtp-');
  const args = [path.join(here, 'smtp_server.py'), '--dir', dir, '--port', String(port)];
  if (tls) args.push('--tls');
  if (user) args.push('--user', user, '--password', password);
  const proc = spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const messages = [];
  const refused = [];
  const waiters = new Set();
  let stderr = '';
  let buffer = '';
  let listening;
  const ready = new Promise((resolve, reject) => {
    listening = resolve;
    proc.on('exit', (code) => reject(new Error(`smtp_server.py exited ${code}: ${stderr}`)));
    setTimeout(() => reject(new Error(`smtp_server.py did not start: ${stderr}`)), 20000);
  });
  proc.stderr.on('data', (d) => { stderr += d; });
  proc.stdout.on('data', (d) => {
    buffer += d;
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const record = JSON.parse(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
      if (record.event === 'listening') listening(record);
      if (record.event === 'message') messages.push(record);
      if (record.event === 'refused') refused.push(record);
      for (const w of [...waiters]) w(record);
    }
  });
  const started = await ready;

  function next(predicate, timeoutMs, what) {
    return new Promise((resolve, reject) => {
      const waiter = (record) => {
        if (!predicate(record)) return;
        waiters.delete(waiter);
        clearTimeout(timer);
        resolve(record);
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`no ${what} within ${timeoutMs} ms; got ${messages.length} message(s): ` +
          JSON.stringify(messages.map((m) => [m.rcpt_tos, m.subject]))));
      }, timeoutMs);
      waiters.add(waiter);
    });
  }

  return {
    port: started.port,
    caFile: started.ca_file,
    dir,
    messages,
    refused,
    async setMode(mode) {
      const done = next((r) => r.event === 'mode' && r.mode === mode, 5000, `mode ${mode}`);
      proc.stdin.write(`mode ${mode}\n`);
      await done;
    },
    // The first message (already received or still to come) that matches.
    waitForMessage(predicate = () => true, timeoutMs = 20000) {
      const had = messages.find(predicate);
      if (had) return Promise.resolve(had);
      return next((r) => r.event === 'message' && predicate(r), timeoutMs, 'matching message');
    },
    waitForRefusal(timeoutMs = 20000) {
      if (refused.length) return Promise.resolve(refused[0]);
      return next((r) => r.event === 'refused', timeoutMs, 'refusal');
    },
    async close() {
      if (proc.exitCode !== null) return;
      const gone = new Promise((resolve) => proc.on('exit', resolve));
      proc.kill('SIGTERM');
      await gone;
    },
  };
}

// The mail flags for a server that sends through this SMTP server.
export function smtpArgs(smtp, { user, password } = {}) {
  const args = ['--smtp-url', `smtp://127.0.0.1:${smtp.port}`, '--smtp-timeout-s', '3'];
  if (smtp.caFile) args.push('--smtp-ca-file', smtp.caFile);
  else args.push('--smtp-starttls', 'false');
  if (user) args.push('--smtp-username', user, '--smtp-password', password);
  return args;
}

// The token in a link of a mail's text ("...?token=XYZ").
export function linkToken(message) {
  const m = /[?&]token=([A-Za-z0-9_-]+)/.exec(message.text ?? '');
  if (!m) throw new Error(`no token link in mail: ${message.text}`);
  return m[1];
}
