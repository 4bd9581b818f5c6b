// The check page's audit of a challenged ballot (docs/booth.md §1c): on this or a second device, the voter loads
// the two files the booth offered (ballot.json, opening.json) and marks what they chose; the browser checks the
// ballot (every proof and the signature, for this board's election) and the opening (each ciphertext opens to the
// claimed 0 or 1 with the given randomness) exactly as `plebiscite check-challenge` does, and puts the voter's
// choices beside what the ballot contains: "matches", or "does not match — your device may be compromised".
import { getJson } from './api.js';
import { checkBallot, checkOpening } from './ballot.js';
import { electionFromApi } from './election.js';
import { pick, t } from './i18n.js';
import { describe, questionHi, questionLo } from './manifest.js';
import { $, describeError, el, showError } from './ui.js';

let election = null;

const single = (q) => questionLo(q) === 1 && questionHi(q) === 1;
const labelOf = (q, id) => (id === 'blank' ? t('ballot.blank') : pick(q.options.find((o) => o.id === id)?.label) || id);
const same = (a, b) => [...a].sort().join() === [...b].sort().join();

/** The "what you chose" inputs, one fieldset per question (ids a-<question>-<option>). */
function renderChoices() {
  const box = $('audit-choices');
  const keep = election ? yourChoices() : {};
  box.replaceChildren();
  for (const q of election.manifest.questions) {
    const fieldset = el('fieldset', { class: 'question' }, el('legend', { text: pick(q.text) }));
    const options = q.options.map((o) => o.id).concat(q.blank ? ['blank'] : []);
    for (const id of options) {
      const input = el('input', { type: single(q) ? 'radio' : 'checkbox', name: `a-${q.id}`, id: `a-${q.id}-${id}`, value: id });
      input.checked = (keep[q.id] ?? []).includes(id);
      fieldset.append(el('div', { class: 'option' }, input, el('label', { for: input.id, text: labelOf(q, id) })));
    }
    box.append(fieldset);
  }
}

function yourChoices() {
  const out = {};
  for (const q of election.manifest.questions) {
    out[q.id] = [...document.querySelectorAll(`input[name="a-${q.id}"]:checked`)].map((i) => i.value);
  }
  return out;
}

async function readJson(input, what) {
  const file = $(input).files[0];
  if (!file) throw Object.assign(new Error(what), { key: 'audit.missing_file' });
  try {
    return JSON.parse(await file.text());
  } catch {
    throw Object.assign(new Error(what), { key: 'audit.not_json' });
  }
}

/** What the ballot contains, or {problem} when the files are not a valid ballot and its opening for this election. */
function contentsOf(ballot, opening) {
  try {
    checkBallot(ballot, election);
    return { found: describe(election.manifest, checkOpening(ballot, opening, election.publicKey)) };
  } catch (err) {
    return { problem: describeError(err)[0] || String(err.message) };
  }
}

/** A table: each question, what the voter chose, what the ballot contains (`found`: null when unknown). */
export function fillComparison(table, manifest, choices, found) {
  const labelIn = (q, ids) => (ids ?? []).map((id) => labelOf(q, id)).join(', ') || '—';
  const rows = manifest.questions.map((q) => el('tr', {},
    el('th', { scope: 'row', text: pick(q.text) }),
    el('td', { text: labelIn(q, choices[q.id]) }),
    el('td', { text: found ? labelIn(q, found[q.id]) : '—' })));
  table.replaceChildren(
    el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: t('audit.question') }),
      el('th', { scope: 'col', text: t('audit.you_chose') }), el('th', { scope: 'col', text: t('audit.ballot_has') }))),
    el('tbody', {}, ...rows));
  table.hidden = false;
}

function showVerdict(choices, found, problem) {
  fillComparison($('audit-table'), election.manifest, choices, found);
  const match = Boolean(found) && election.manifest.questions.every((q) => same(found[q.id], choices[q.id] ?? []));
  const verdict = $('audit-verdict');
  verdict.replaceChildren(el('strong', { text: t(match ? 'audit.match' : 'audit.mismatch') }));
  if (problem) verdict.append(el('span', { class: 'detail', text: ` ${t('audit.invalid', { detail: problem })}` }));
  verdict.className = match ? 'verdict ok' : 'verdict bad';
  verdict.hidden = false;
  verdict.focus();
}

async function onAudit(event) {
  event.preventDefault();
  showError('');
  $('audit-verdict').hidden = true; // never leave an earlier verdict up while the new files are read
  let ballot;
  let opening;
  try {
    ballot = await readJson('audit-ballot', 'ballot');
    opening = await readJson('audit-opening', 'opening');
  } catch (err) {
    showError(t(err.key));
    return;
  }
  const choices = yourChoices();
  if (election.manifest.questions.some((q) => !choices[q.id].length)) {
    showError(t('audit.mark_choices'));
    return;
  }
  const { found, problem } = contentsOf(ballot, opening);
  showVerdict(choices, found, problem);
}

/** Wire the audit section: the election is fetched once, when the voter first opens the section. */
export function startOpeningCheck(onLanguageChange) {
  const section = $('audit');
  section.addEventListener('toggle', async () => {
    if (!section.open || election) return;
    try {
      election = electionFromApi(await getJson('election'));
    } catch (err) {
      showError(...describeError(err));
      return;
    }
    renderChoices();
    $('audit-form').hidden = false;
  });
  $('audit-form').addEventListener('submit', onAudit);
  onLanguageChange(() => {
    if (election) renderChoices();
  });
}
