// Results page: the published result (GET /api/result) as a chart and a table per question, and the record link.
import { ApiError, apiUrl, getJson } from './api.js';
import { barChart } from './chart.js';
import { initLanguage, onLanguageChange, pick, t } from './i18n.js';
import { $, describeError, el, localNumber, percent, showError, status } from './ui.js';

let manifest = null;
let result = null;

function render() {
  const box = $('results');
  box.replaceChildren();
  if (manifest) $('election-title').textContent = pick(manifest.title);
  if (!result) return;
  $('summary').textContent = t('results.summary', { ballots: localNumber(result.ballots), trustees: (result.trustees ?? []).join(', ') });
  for (const q of result.questions) {
    const mq = manifest?.questions.find((x) => x.id === q.id);
    const label = (id) => pick(mq?.options.find((o) => o.id === id)?.label) || id;
    const rows = Object.entries(q.counts).map(([id, count]) => ({ label: label(id), count }));
    if ('blank' in q) rows.push({ label: t('results.blank'), count: q.blank, blank: true });
    const total = rows.reduce((a, r) => a + r.count, 0);
    const headingId = `result-${q.id}`;
    const table = el('table', {},
      el('caption', { class: 'hint', text: mq ? pick(mq.text) : q.id }),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: t('results.option') }),
        el('th', { scope: 'col', class: 'num', text: t('results.votes') }),
        el('th', { scope: 'col', class: 'num', text: t('results.share') }))),
      el('tbody', {}, ...rows.map((r) => el('tr', {}, el('th', { scope: 'row', text: r.label }),
        el('td', { class: 'num', text: localNumber(r.count) }),
        el('td', { class: 'num', text: percent(total ? r.count / total : 0) })))));
    box.append(el('section', { class: 'result', 'aria-labelledby': headingId },
      el('h2', { id: headingId, text: mq ? pick(mq.text) : q.id }), barChart(rows, total, { count: localNumber, share: percent }), table));
  }
}

async function start() {
  initLanguage();
  onLanguageChange(render);
  $('record-link').href = apiUrl('record.zip').href;
  status('…');
  try {
    const election = await getJson('election');
    manifest = election.manifest?.manifest ?? null;
    // the result exists only once decrypted: asking earlier would be a 404 in every browser console
    if (election.phase !== 'decrypted') throw new ApiError('not_found', 404);
    result = await getJson('result');
    status('');
  } catch (err) {
    status(err instanceof ApiError && err.kind === 'not_found' ? t('results.not_yet') : '');
    if (!(err instanceof ApiError && err.kind === 'not_found')) showError(...describeError(err));
  }
  render();
}

start().finally(() => {
  document.body.dataset.ready = 'true';
});
