// Page plumbing shared by the three pages: status and error regions, section switching with focus, downloads.
// DOM is only ever built with createElement/textContent, never by parsing HTML strings: the Trusted Types CSP would
// refuse that, and it keeps server-supplied text (manifest labels, error details) from becoming markup.
import { ApiError } from './api.js';
import { hasMessage, t } from './i18n.js';

export const $ = (id) => document.getElementById(id);

/** An element with text and attributes; children may be strings or nodes. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) node.append(c);
  return node;
}

/** Polite progress messages (role=status). */
export function status(text) {
  $('status').textContent = text;
}

/** An assertive error message (role=alert); pass '' to clear. `detail` is shown under it in a smaller line. */
export function showError(text, detail = '') {
  const box = $('error');
  box.replaceChildren();
  if (!text) {
    box.hidden = true;
    return;
  }
  box.append(el('p', { text }));
  if (detail) box.append(el('p', { class: 'detail', text: detail }));
  box.hidden = false;
}

/** Show only section `id` of the page's steps and move keyboard focus to its heading. */
export function showStep(id, steps) {
  for (const s of steps) $(s).hidden = s !== id;
  const heading = $(id).querySelector('h2');
  if (heading) heading.focus();
}

/** The voter-language message for an error from the API, the credential or the receipt checks. */
export function describeError(err) {
  if (err instanceof ApiError) {
    if (err.kind === 'network') return [t('server.down'), ''];
    if (err.kind === 'bad_answer') return [t('server.bad_answer'), ''];
    if (err.kind === 'server') return [t('server.error', { status: err.status }), err.detail];
    const d = err.detail;
    if (/not on the roll/.test(d)) return [t('credential.not_on_roll'), d];
    if (/another election|fingerprint differs/.test(d)) return [t('server.other_election'), d];
    if (/challenged/.test(d) && /cast/.test(d)) return [t('cast.was_challenged'), d];
    if (/already cast/.test(d)) return [t('challenge.already_cast'), d];
    if (/\bphase\b/i.test(d)) return [t('booth.not_open'), d];
    return [t('server.rejected', { detail: d || err.status }), ''];
  }
  if (err?.key && hasMessage(err.key)) {
    const detail = err.message.includes(': ') ? err.message.slice(err.message.indexOf(': ') + 2) : '';
    return [t(err.key, { detail }), ''];
  }
  return [String(err?.message ?? err), ''];
}

/** Offer `value` as a JSON file download (a Blob URL: nothing leaves the browser). */
export function download(filename, value) {
  downloadText(filename, JSON.stringify(value, null, 2) + '\n');
}

/** Offer `text` as a file download, byte for byte (a Blob URL: nothing leaves the browser). */
export function downloadText(filename, text) {
  const blob = new Blob([text], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = el('a', { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

/** A date and time in the page's language (Intl: "4 груд. 2026 р., 09:41", "Dec 4, 2026, 9:41 AM"). */
export const shortTime = (ms) =>
  new Intl.DateTimeFormat(document.documentElement.lang || undefined, { dateStyle: 'medium', timeStyle: 'short' })
    .format(new Date(ms));

/** A number in the page's language (Intl: "33,3" in uk and ru, "33.3" in en). */
export const localNumber = (value, digits = 0) =>
  new Intl.NumberFormat(document.documentElement.lang || undefined,
    { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);

/** A share (0…1) as a percentage in the page's language (Intl: "33,3 %" in uk and ru, "33.3%" in en). */
export const percent = (fraction) =>
  new Intl.NumberFormat(document.documentElement.lang || undefined,
    { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(fraction);

/**
 * Every file picker gets a button and a file-name line in the page's language (the browser's own "Choose File / No
 * file chosen" cannot be translated): the native input stays, visually hidden but focusable and labelled, and the
 * button is a second <label> for it. Call before initLanguage(), which translates the data-i18n texts.
 */
export function fileButtons() {
  for (const input of document.querySelectorAll('input[type=file]')) {
    const name = el('span', { class: 'file-name', 'data-i18n': 'file.none', 'aria-hidden': 'true', text: t('file.none') });
    input.classList.add('file-native');
    input.after(el('label', { for: input.id, class: 'button file-button', 'data-i18n': 'file.choose',
      text: t('file.choose') }), name);
    input.addEventListener('change', () => {
      const file = input.files[0];
      if (file) name.removeAttribute('data-i18n');
      else name.dataset.i18n = 'file.none';
      name.textContent = file ? file.name : t('file.none');
    });
  }
}

export { groups } from './bytes.js';
