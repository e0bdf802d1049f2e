// Shared helpers for bench/ws: the `ws` package (installed for the tests), a monotonic clock that
// agrees across processes, a small log-bucket latency histogram, and /proc readers.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const testsPackage = process.env.BENCH_WS_FROM ?? new URL('../../tests/package.json', import.meta.url).pathname;
export const WebSocket = createRequire(testsPackage)('ws');

// Microseconds on CLOCK_MONOTONIC (libuv's hrtime): the same clock in every process on this
// machine, so a timestamp written by the sender can be subtracted in a receiver.
export function nowUs() {
  const [s, ns] = process.hrtime();
  return s * 1e6 + Math.floor(ns / 1e3);
}

// Latency histogram: bucket i holds values v (us) with floor(log(v + 1) / log(1.01)) == i, i.e.
// about 1 % resolution; 2,000 buckets reach beyond 400 s.
const LOG_STEP = Math.log(1.01);
export const BUCKETS = 2000;
export function newHistogram() {
  return new Float64Array(BUCKETS);
}
export function record(hist, us) {
  let i = Math.floor(Math.log((us > 0 ? us : 0) + 1) / LOG_STEP);
  if (i >= BUCKETS) i = BUCKETS - 1;
  hist[i] += 1;
}
export function mergeInto(into, from) {
  for (let i = 0; i < BUCKETS; i++) into[i] += from[i] ?? 0;
}
// The value (ms) at quantile q: the upper edge of the bucket where the count crosses q.
export function quantileMs(hist, q) {
  let total = 0;
  for (let i = 0; i < BUCKETS; i++) total += hist[i];
  if (total === 0) return null;
  const want = q * total;
  let seen = 0;
  for (let i = 0; i < BUCKETS; i++) {
    seen += hist[i];
    if (seen >= want) return (Math.exp((i + 1) * LOG_STEP) - 1) / 1000;
  }
  return null;
}

// Resident set size of a process, in KiB (VmRSS in /proc/<pid>/status).
export function rssKiB(pid) {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

// CPU seconds (user + system, all threads) a process has used: /proc/<pid>/stat fields 14 and 15.
const CLK_TCK = Number(process.env.BENCH_CLK_TCK || 100);
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');  // fields[0] is field 3 (state)
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
