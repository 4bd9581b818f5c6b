// The ballot layout rule and the limits on choices, mirroring src/plebiscite/setup/manifest.py (layout(),
// selections_valid(), plaintexts()) and ballot/challenge.py (describe()). The booth, the board and the tally must
// agree on the layout exactly, so this file follows the Python line by line.

export const questionLo = (q) => (q.min === null || q.min === undefined ? 1 : q.min);
export const questionHi = (q) => (q.max === null || q.max === undefined ? 1 : q.max);

/**
 * How question `q` is encoded on a ballot: `encoded` option ids (one ciphertext each, plus one for blank when
 * allowed), the `implicit` option (left out when exactly one must be chosen and blank is not allowed), the
 * `weights` of each ciphertext in the sum, the sum's range [lo, hi] and whether a sum proof is needed.
 */
export function layout(q) {
  const ids = q.options.map((o) => o.id);
  const lo = questionLo(q);
  const hi = questionHi(q);
  let lay;
  if (lo === 1 && hi === 1 && !q.blank) {
    const encoded = ids.slice(0, -1);
    lay = { encoded, implicit: ids[ids.length - 1], blank: false, weights: encoded.map(() => 1), lo: 0, hi: 1,
      sumProof: encoded.length > 1 };
  } else if (q.blank) {
    lay = { encoded: ids, implicit: null, blank: true, weights: [...ids.map(() => 1), hi], lo: Math.max(lo, 1), hi,
      sumProof: true };
  } else {
    lay = { encoded: ids, implicit: null, blank: false, weights: ids.map(() => 1), lo, hi,
      sumProof: !(lo === 0 && hi >= ids.length) };
  }
  lay.width = lay.encoded.length + (lay.blank ? 1 : 0);
  return lay;
}

/**
 * null when `chosen` (option ids, or ["blank"]) is a valid answer to `q`; otherwise {key, params} naming the
 * problem, so the page can say it in the voter's language (i18n.js has the messages).
 */
export function selectionProblem(q, chosen) {
  if (chosen.length === 1 && chosen[0] === 'blank') {
    return q.blank ? null : { key: 'limits.no_blank', params: {} };
  }
  const ids = new Set(q.options.map((o) => o.id));
  if (chosen.some((c) => !ids.has(c))) return { key: 'limits.unknown', params: {} };
  if (new Set(chosen).size !== chosen.length) return { key: 'limits.twice', params: {} };
  const lo = questionLo(q);
  const hi = questionHi(q);
  if (chosen.length < lo || chosen.length > hi) {
    if (lo === hi) return { key: 'limits.exactly', params: { n: lo } };
    return { key: 'limits.between', params: { lo, hi } };
  }
  return null;
}

/** The 0/1 values a ballot encrypts for `chosen`, in layout order (validated first). */
export function plaintexts(q, chosen) {
  const problem = selectionProblem(q, chosen);
  if (problem) throw new SelectionError(q.id, problem);
  const lay = layout(q);
  const values = lay.encoded.map((o) => (chosen.includes(o) ? 1 : 0));
  if (lay.blank) values.push(chosen.length === 1 && chosen[0] === 'blank' ? 1 : 0);
  return values;
}

export class SelectionError extends Error {
  constructor(questionId, problem) {
    super(`question ${questionId}: ${problem.key}`);
    this.name = 'SelectionError';
    this.questionId = questionId;
    this.problem = problem;
  }
}

/** Opened plaintexts back to option ids per question (what the device really encrypted). */
export function describe(manifest, plain) {
  const out = {};
  manifest.questions.forEach((q, i) => {
    const lay = layout(q);
    const values = plain[i];
    let chosen = lay.encoded.filter((_, j) => values[j] === 1);
    if (lay.blank && values[values.length - 1] === 1) chosen = ['blank'];
    else if (lay.implicit !== null && chosen.length === 0) chosen = [lay.implicit];
    out[q.id] = chosen;
  });
  return out;
}
