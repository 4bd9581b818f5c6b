// The voting booth page: credential → choices → encrypt → cast or challenge. All cryptography goes through
// voter.js; this file only moves between steps, reads the form and talks to the board. A coercion-resistant
// election (the manifest's mode) has its own credential step, fakes and no challenge: booth-cr.js.
import { getJson, postJson } from './api.js';
import { startCr } from './booth-cr.js';
import { castBallot, leaveCast, startReceipts } from './booth-receipt.js';
import { fillComparison } from './opening-check.js';
import { electionFromApi } from './election.js';
import { initLanguage, onLanguageChange, pick, t } from './i18n.js';
import { questionHi, questionLo, selectionProblem } from './manifest.js';
import { $, describeError, download, el, fileButtons, showError, showStep, status } from './ui.js';
import { describeOpening, loadVoter, prepareBallot, warmUp } from './voter.js';

const STEPS = ['step-credential', 'step-cr-credential', 'step-ballot', 'step-cr-fake', 'step-review', 'step-cast',
  'step-challenged', 'step-resume'];

const state = {
  election: null,
  roll: undefined, // Set of hex keys once fetched, null when the roll could not be had
  voter: null,
  prepared: null, // {ballot, opening, trackingCode} of the ballot on the review step
  challenged: null,
  busy: false,
};

// --- the questions -------------------------------------------------------------------------------------------

const inputName = (q) => `q-${q.id}`;
const single = (q) => questionLo(q) === 1 && questionHi(q) === 1;

function hintFor(q) {
  if (single(q)) return t('ballot.choose_one');
  if (questionLo(q) === 0) return t('ballot.choose_up_to', { hi: questionHi(q) });
  return t('ballot.choose_range', { lo: questionLo(q), hi: questionHi(q) });
}

function renderQuestions() {
  const keep = state.election ? readSelections() : {};
  const box = $('questions');
  box.replaceChildren();
  for (const q of state.election.manifest.questions) {
    const type = single(q) ? 'radio' : 'checkbox';
    const hintId = `${inputName(q)}-hint`;
    const errorId = `${inputName(q)}-error`;
    const fieldset = el('fieldset', { id: `${inputName(q)}-set`, class: 'question', 'aria-describedby': `${hintId} ${errorId}` },
      el('legend', { text: pick(q.text) }),
      el('p', { id: hintId, class: 'hint', text: hintFor(q) }));
    const options = q.options.map((o) => ({ value: o.id, label: pick(o.label) }));
    if (q.blank) options.push({ value: 'blank', label: t('ballot.blank'), blank: true });
    for (const o of options) {
      const id = `${inputName(q)}-${o.value}`;
      const input = el('input', { type, name: inputName(q), id, value: o.value });
      input.checked = (keep[q.id] ?? []).includes(o.value);
      fieldset.append(el('div', { class: o.blank ? 'option blank' : 'option' }, input, el('label', { for: id, text: o.label })));
    }
    if (type === 'checkbox') {
      const count = el('p', { class: 'count', 'aria-live': 'polite', id: `${inputName(q)}-count` });
      fieldset.append(count);
      fieldset.addEventListener('change', () => updateCount(q));
    }
    fieldset.append(el('p', { id: errorId, class: 'field-error', hidden: true }));
    box.append(fieldset);
    if (type === 'checkbox') updateCount(q);
  }
}

function updateCount(q) {
  const n = (readSelections()[q.id] ?? []).length;
  $(`${inputName(q)}-count`).textContent = t('ballot.chosen_count', { n });
}

function readSelections() {
  const out = {};
  for (const q of state.election.manifest.questions) {
    out[q.id] = [...document.querySelectorAll(`input[name="${inputName(q)}"]:checked`)].map((i) => i.value);
  }
  return out;
}

/** Per-question problems in the voter's language; an empty object when every answer is within its limits. */
function problemsOf(selections) {
  const problems = {};
  for (const q of state.election.manifest.questions) {
    const chosen = selections[q.id];
    let p = null;
    if (chosen.includes('blank') && chosen.length > 1) p = { key: 'limits.blank_alone', params: {} };
    else p = selectionProblem(q, chosen);
    if (p) problems[q.id] = t(p.key, p.params);
  }
  return problems;
}

function markProblems(problems) {
  for (const q of state.election.manifest.questions) {
    const box = $(`${inputName(q)}-error`);
    box.textContent = problems[q.id] ?? '';
    box.hidden = !problems[q.id];
    $(`${inputName(q)}-set`).classList.toggle('invalid', Boolean(problems[q.id]));
  }
}

// --- steps ---------------------------------------------------------------------------------------------------

async function fetchRoll() {
  if (state.roll !== undefined) return state.roll;
  try {
    const body = await getJson('roll');
    state.roll = new Set(body.credentials.map((k) => String(k).toLowerCase()));
  } catch {
    state.roll = null; // the board still checks the roll when the ballot is cast
  }
  return state.roll;
}

async function onCredential(event) {
  event.preventDefault();
  if (state.busy) return;
  showError('');
  const file = $('credential-file').files[0];
  const code = $('credential-code').value;
  let source;
  if (file) {
    try {
      source = { fileText: await file.text() };
    } catch {
      showError(t('credential.read_failed'));
      return;
    }
  } else {
    source = { code };
  }
  const roll = await fetchRoll();
  try {
    state.voter?.forget();
    state.voter = loadVoter(source, state.election, roll);
  } catch (err) {
    state.voter = null;
    const [text, detail] = describeError(err);
    showError(text, detail);
    (file ? $('credential-file') : $('credential-code')).focus();
    return;
  }
  // the secret is now only inside the Voter object: clear it from the form
  $('credential-code').value = '';
  $('credential-file').value = '';
  status([t('credential.loaded'),
    roll === null ? t('credential.roll_unknown') : ''].join(' '));
  showStep('step-ballot', STEPS);
}

/** A coercion-resistant credential (real or fake: the page cannot tell and does not try) is loaded. */
function onCrLoaded(credential) {
  state.voter?.forget();
  state.voter = credential;
  status(t('cr.loaded'));
  showStep('step-ballot', STEPS);
}

function onEncrypt(event) {
  event.preventDefault();
  if (state.busy) return;
  showError('');
  const selections = readSelections();
  const problems = problemsOf(selections);
  markProblems(problems);
  if (Object.keys(problems).length) {
    showError(t('ballot.fix'));
    const first = state.election.manifest.questions.find((q) => problems[q.id]);
    document.querySelector(`input[name="${inputName(first)}"]`).focus();
    return;
  }
  status(t('ballot.encrypting'));
  try {
    state.prepared = prepareBallot(state.election, state.voter, selections);
  } catch (err) {
    const [text, detail] = describeError(err);
    showError(text, detail);
    return;
  }
  $('tracking-code').textContent = state.prepared.trackingCode;
  status('');
  showStep('step-review', STEPS);
}

async function withBusy(label, fn) {
  if (state.busy) return;
  state.busy = true;
  for (const b of document.querySelectorAll('#step-review button')) b.disabled = true;
  status(label);
  showError('');
  try {
    await fn();
  } catch (err) {
    const [text, detail] = describeError(err);
    status('');
    showError(text, detail);
  } finally {
    state.busy = false;
    for (const b of document.querySelectorAll('#step-review button')) b.disabled = false;
  }
}

function onCast() {
  return withBusy(t('review.casting'), async () => {
    const prepared = state.prepared;
    // kept, sent, and if the answer is lost looked for on the board and asked for again (booth-receipt.js)
    await castBallot({ trackingCode: prepared.trackingCode, ballot: prepared.ballot });
    state.prepared = null;
  });
}

function onChallenge() {
  return withBusy(t('review.challenging'), async () => {
    const prepared = state.prepared;
    const wanted = readSelections();
    const answer = await postJson('challenges', { ballot: prepared.ballot, opening: prepared.opening });
    // The board's reading is the independent one; the local one re-derives it here and must agree.
    const local = describeOpening(state.election, prepared);
    state.challenged = prepared;
    state.prepared = null;
    status('');
    renderChallenge(answer, local, wanted);
    showStep('step-challenged', STEPS);
  });
}

function renderChallenge(answer, local, wanted) {
  const same = (a, b) => [...a].sort().join() === [...b].sort().join();
  const board = answer.choices ?? {};
  // the board's reading is shown; the page's own reading of the opening must agree with it, and both with the voter
  const match = state.election.manifest.questions.every((q) =>
    same(board[q.id] ?? [], wanted[q.id]) && same(local[q.id], board[q.id] ?? []));
  fillComparison($('challenge-result'), state.election.manifest, wanted, board);
  $('opening-json').textContent = JSON.stringify(state.challenged.opening, null, 2);
  const verdict = $('challenge-verdict');
  verdict.textContent = t(match ? 'challenge.match' : 'challenge.mismatch');
  verdict.className = match ? 'verdict ok' : 'verdict bad';
}

function backToBallot() {
  state.prepared = null;
  leaveCast();
  showError('');
  // after a reload there is no credential in the page (it is never kept): start from step 1
  if (!state.voter) {
    $('reloaded').hidden = true;
    showStep(state.election.mode === 'coercion-resistant' ? 'step-cr-credential' : 'step-credential', STEPS);
  } else {
    showStep('step-ballot', STEPS);
  }
}

/** Whether this page load is the voter (or the phone) reloading the booth rather than opening it. */
const reloaded = () => performance.getEntriesByType('navigation')[0]?.type === 'reload';

// --- start ---------------------------------------------------------------------------------------------------

async function start() {
  fileButtons();
  initLanguage();
  status(t('booth.loading'));
  $('credential-form').addEventListener('submit', onCredential);
  $('ballot-form').addEventListener('submit', onEncrypt);
  $('cast').addEventListener('click', onCast);
  $('challenge').addEventListener('click', onChallenge);
  $('change').addEventListener('click', backToBallot);
  $('revote').addEventListener('click', backToBallot);
  $('restart').addEventListener('click', backToBallot);
  $('download-ballot').addEventListener('click', () => download('ballot.json', state.challenged.ballot));
  $('download-opening').addEventListener('click', () => download('opening.json', state.challenged.opening));
  try {
    state.election = electionFromApi(await getJson('election'));
  } catch (err) {
    const [text, detail] = describeError(err);
    status('');
    showError(text, detail);
    return;
  }
  const title = () => {
    $('election-title').textContent = pick(state.election.manifest.title);
    document.title = `${pick(state.election.manifest.title)} — ${t('booth.title')}`;
  };
  title();
  renderQuestions();
  onLanguageChange(() => {
    title();
    renderQuestions();
  });
  status('');
  if (state.election.phase !== 'voting' || !state.election.publicKey) {
    $('closed').hidden = false;
    $('closed').dataset.i18n = 'booth.not_open';
    $('closed').textContent = t('booth.not_open');
    $('credential-form').querySelector('button').disabled = true;
    return;
  }
  if (state.election.mode === 'coercion-resistant') {
    try {
      await startCr(state.election, { steps: STEPS, onLoaded: onCrLoaded, current: () => state.voter });
    } catch (err) {
      const [text, detail] = describeError(err);
      status('');
      showError(text, detail);
      return;
    }
  } else {
    $('step-credential').hidden = false;
  }
  const resumed = await startReceipts({ electionId: state.election.electionId, steps: STEPS, onRevote: backToBallot });
  // A reload drops the credential and the choices on purpose (they are never stored): say so, and that nothing was cast.
  if (!resumed && reloaded()) $('reloaded').hidden = false;
  // off the critical path: the voter is reading or typing now, and the first ballot is then as fast as any
  setTimeout(() => {
    try {
      warmUp(state.election);
    } catch {
      // only an optimisation: a failure here changes nothing the voter does
    }
  }, 50);
}

// Leaving the page overwrites the seed held by the Voter (the browser would free it anyway; this makes it prompt).
// A page restored from the back/forward cache has no seed left: start it afresh.
window.addEventListener('pagehide', () => state.voter?.forget());
window.addEventListener('pageshow', (event) => {
  if (event.persisted) location.reload();
});

// data-ready tells the browser tests (and anyone scripting the page) that start-up has finished, whatever its outcome.
start().finally(() => {
  document.body.dataset.ready = 'true';
});
