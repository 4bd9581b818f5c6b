#!/usr/bin/env node
// Encrypt + prove + sign in headless Chromium: the browser booth's cost per ballot.
//
//   node bench/booth.mjs                       # 200 timed ballots of each kind; writes bench/results/booth.json
//   node bench/booth.mjs --runs 30 --out FILE  # fewer runs / another file (tests/booth/test_bench.py does this)
//
// What is timed is the booth's own prepareBallot() (voter.js) inside the page: every ElGamal encryption, every
// disjunctive proof and the Ed25519 signature, with fresh crypto.getRandomValues randomness — exactly what happens
// when the voter presses "Encrypt my ballot" (page rendering excluded). Two ballots: the single yes/no question
// (one ciphertext, one 0/1 proof) that the ≤ 50 ms target is about, and the three-question sample referendum
// (8 ciphertexts, 8 0/1 proofs, 2 sum proofs) for scale. The booth's warm-up (voter.js warmUp(), run while the
// voter enters the credential) is timed separately, and so is the very first ballot of a cold page without it.
//
// Coercion-resistant mode (`cr`): the same page times, alternating real and fake so that both see the same machine
// load, loading a device credential file (decode + designated-verifier proof check) and a sheet code, casting a
// yes/no cr-ballot with each, and making a fake of each form — the figures behind "same timing" (docs/booth.md §1a).
//
// The page is served by a throwaway loopback HTTP server over src/plebiscite/booth/static with the booth's CSP, so
// the modules run as they do for a voter (same origin, SRI-less dynamic import in a blank page).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, loadavg, release } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { parseArgs } from 'node:util';
import { launch, ROOT } from '../tests/booth/browser/browser.mjs';

const { values: args } = parseArgs({
  options: { runs: { type: 'string', default: '200' }, out: { type: 'string', default: join(ROOT, 'bench/results/booth.json') } },
});
const RUNS = Number(args.runs);
const STATIC = join(ROOT, 'src/plebiscite/booth/static');
const TYPES = { '.js': 'text/javascript', '.html': 'text/html', '.css': 'text/css', '.svg': 'image/svg+xml' };
const BLANK = '<!doctype html><meta charset="utf-8"><title>booth bench</title><body>';

const server = createServer((req, res) => {
  const path = new URL(req.url, 'http://x').pathname;
  res.setHeader('Content-Security-Policy', "default-src 'self'; script-src 'self'");
  if (path === '/bench.html') {
    res.setHeader('Content-Type', 'text/html');
    res.end(BLANK);
    return;
  }
  const file = normalize(join(STATIC, path));
  if (!file.startsWith(STATIC)) {
    res.statusCode = 403;
    res.end();
    return;
  }
  try {
    const body = readFileSync(file);
    res.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
    res.end(body);
  } catch {
    res.statusCode = 404;
    res.end();
  }
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const base = `http://127.0.0.1:${server.address().port}`;

const manifestEvent = JSON.parse(readFileSync(join(ROOT, 'tests/vectors/ballot.json'), 'utf8')).manifest_event;
const crVectors = JSON.parse(readFileSync(join(ROOT, 'tests/vectors/cr.json'), 'utf8'));

/** Real against fake, in one page, interleaved: {name: {real: stats, fake: stats, fake_over_real_median}}. */
async function measureCr(context, runs) {
  const page = await context.newPage();
  await page.goto(`${base}/bench.html`);
  const figures = await page.evaluate(async ({ v, runs }) => {
    const { electionFromApi } = await import('/js/election.js');
    const { loadCrCredential, prepareBallot, warmUp } = await import('/js/voter.js');
    const { crContextFromEntries } = await import('/js/crcredential.js');
    const manifest = { ...v.manifest_event, manifest: { ...v.manifest_event.manifest, questions: v.manifest_event.manifest.questions.slice(0, 1) } };
    const election = electionFromApi({ manifest, election: { fingerprint: v.fingerprint, public_key: v.public_key }, phase: 'voting' });
    const ctx = crContextFromEntries(election, v.entries);
    warmUp(election);
    const q = election.manifest.questions[0];
    const choice = { [q.id]: [q.options[0].id] };
    const sources = { file: [{ fileText: v.device_file }, { fileText: v.fake_device_file }],
      code: [{ code: v.sheet.code }, { code: v.sheet.fake_code }] };
    const time = (fn) => {
      const t = performance.now();
      fn();
      return performance.now() - t;
    };
    const stats = (xs) => {
      const s = [...xs].sort((p, q) => p - q);
      return { runs: s.length, median_ms: s[Math.floor(s.length / 2)], p95_ms: s[Math.min(s.length - 1, Math.floor(0.95 * s.length))] };
    };
    const out = {};
    for (const [form, [real, fake]] of Object.entries(sources)) {
      const creds = [loadCrCredential(real, ctx), loadCrCredential(fake, ctx)];
      const t = { load: [[], []], cast: [[], []], make_fake: [[], []] };
      for (let i = 0; i < runs + 5; i++) {
        for (const k of [0, 1]) {
          const load = time(() => loadCrCredential(k ? fake : real, ctx));
          const cast = time(() => prepareBallot(election, creds[k], choice));
          const make = time(() => creds[k].makeFake());
          if (i >= 5) [t.load[k].push(load), t.cast[k].push(cast), t.make_fake[k].push(make)];
        }
      }
      for (const [what, [r, f]] of Object.entries(t)) {
        const real = stats(r);
        const fake = stats(f);
        out[`${form}_${what}`] = { real, fake, fake_over_real_median: fake.median_ms / real.median_ms };
      }
    }
    return out;
  }, { v: crVectors, runs });
  await page.close();
  return figures;
}

const { context, close } = await launch();
try {
  // The page-side measurement: `cold` times the very first ballot in a fresh page without warm-up (JIT and
  // noble's tables not built yet); otherwise warmUp() — what the booth runs while the voter enters the credential —
  // is timed, then the first ballot after it, then `runs` ballots (after 5 untimed ones).
  const measure = async (cold) => {
    const page = await context.newPage();
    await page.goto(`${base}/bench.html`);
    const figures = await page.evaluate(async ({ manifestEvent, runs, cold }) => {
      const t0 = performance.now();
      const G = await import('/js/group.js');
      const { hex } = await import('/js/bytes.js');
      const { electionFromApi } = await import('/js/election.js');
      const { prepareBallot, Voter, warmUp } = await import('/js/voter.js');
      const loaded = performance.now() - t0;
      const randomBytes = (n) => crypto.getRandomValues(new Uint8Array(n));
      const key = hex(G.mulBase(G.randomScalar()).toBytes());
      const election = (questions) => electionFromApi({
        manifest: { ...manifestEvent, manifest: { ...manifestEvent.manifest, questions } },
        election: { fingerprint: hex(randomBytes(32)), public_key: key }, phase: 'voting',
      });
      const voter = new Voter(randomBytes(32));
      const all = manifestEvent.manifest.questions;
      const kinds = {
        yesno: [[all[0]], { q1: ['yes'] }, { q1: ['no'] }],
        referendum: [all, { q1: ['yes'], q2: ['bi'], q3: ['schools', 'clinics'] }, { q1: ['no'], q2: ['blank'], q3: ['roads'] }],
      };
      const time = (fn) => {
        const t = performance.now();
        fn();
        return performance.now() - t;
      };
      if (cold) {
        const [questions, a] = kinds.yesno;
        const e = election(questions);
        return { module_load_ms: loaded, cold_first_yesno_ms: time(() => prepareBallot(e, voter, a)) };
      }
      const stats = (xs) => {
        const s = [...xs].sort((p, q) => p - q);
        const at = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
        return { runs: s.length, median_ms: at(0.5), p95_ms: at(0.95), min_ms: s[0], max_ms: s[s.length - 1],
          mean_ms: s.reduce((p, q) => p + q, 0) / s.length };
      };
      const out = { module_load_ms: loaded };
      for (const [name, [questions, a, b]] of Object.entries(kinds)) {
        const e = election(questions);
        const warm = time(() => warmUp(e));
        const first = time(() => prepareBallot(e, voter, a));
        for (let i = 0; i < 5; i++) prepareBallot(e, voter, i % 2 ? a : b);
        const times = [];
        for (let i = 0; i < runs; i++) times.push(time(() => prepareBallot(e, voter, i % 2 ? a : b)));
        out[name] = { warm_up_ms: warm, first_ballot_after_warm_up_ms: first, ...stats(times) };
      }
      return out;
    }, { manifestEvent, runs: RUNS, cold });
    await page.close();
    return figures;
  };
  const cold = await measure(true);
  const figures = { ...(await measure(false)), cold_page: cold, cr: await measureCr(context, RUNS) };
  const browserVersion = context.browser()?.version() ?? 'unknown';
  const result = {
    benchmark: 'booth: encrypt + prove + sign in headless Chromium (voter.js prepareBallot)',
    date: new Date().toISOString(),
    target: 'yes/no ballot <= 50 ms (median)',
    meets_target: figures.yesno.median_ms <= 50,
    browser: browserVersion,
    machine: { cpu: cpus()[0]?.model, cores: cpus().length, kernel: release(), node: process.version,
      load_average_1_5_15_min: loadavg().map((x) => Number(x.toFixed(2))) },
    figures_ms: figures,
  };
  mkdirSync(join(args.out, '..'), { recursive: true });
  writeFileSync(args.out, JSON.stringify(result, null, 2) + '\n');
  const f = figures.yesno;
  console.log(`yes/no ballot: median ${f.median_ms.toFixed(1)} ms, p95 ${f.p95_ms.toFixed(1)} ms, first after warm-up `
    + `${f.first_ballot_after_warm_up_ms.toFixed(1)} ms (warm-up ${f.warm_up_ms.toFixed(1)} ms); cold first ballot `
    + `${cold.cold_first_yesno_ms.toFixed(1)} ms`);
  const r = figures.referendum;
  console.log(`3-question referendum: median ${r.median_ms.toFixed(1)} ms, p95 ${r.p95_ms.toFixed(1)} ms`);
  for (const [name, f2] of Object.entries(figures.cr)) {
    console.log(`cr ${name}: real median ${f2.real.median_ms.toFixed(2)} ms, fake ${f2.fake.median_ms.toFixed(2)} ms`);
  }
  console.log(`written to ${args.out}`);
} finally {
  await close();
  server.close();
}
