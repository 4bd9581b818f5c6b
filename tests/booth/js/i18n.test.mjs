// Every message the booth can show exists in Ukrainian, Russian and English: the keys are collected from the
// pages (data-i18n) and the scripts (t('…'), error keys), so a message added in one place only fails here.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { js, STATIC } from './helpers.mjs';

const I = await js('i18n.js');

function usedKeys() {
  const keys = new Set();
  for (const page of readdirSync(STATIC).filter((f) => f.endsWith('.html'))) {
    for (const m of readFileSync(join(STATIC, page), 'utf8').matchAll(/data-i18n(?:-aria)?="([^"]+)"/g)) keys.add(m[1]);
  }
  for (const file of readdirSync(join(STATIC, 'js'))) {
    const text = readFileSync(join(STATIC, 'js', file), 'utf8');
    // t('key'), new CredentialError('key') / MerkleError('key') / BoardAlarm('key'), { key: 'key' }, dataset.i18n =
    // 'key', live.js's step('key') and rewritten('key'), and any 'alarm.*' / 'history.*' literal
    const patterns = [/\bt\('([a-z_.]+)'/g, /(?:CredentialError|MerkleError|BoardAlarm)\('([a-z_]+\.[a-z_]+)'/g,
      /\bkey: '([a-z_]+\.[a-z_]+)'/g, /i18n = '([a-z_.]+)'/g, /t\(match \? '([a-z_.]+)' : '([a-z_.]+)'\)/g,
      /\b(?:step|rewritten)\('([a-z_]+\.[a-z_]+)'/g, /'((?:alarm|history)\.[a-z_]+)'/g];
    for (const re of patterns) for (const m of text.matchAll(re)) m.slice(1).forEach((k) => k && keys.add(k));
  }
  return keys;
}

test('every message used by the pages and scripts exists in uk, ru and en', () => {
  const keys = usedKeys();
  assert.ok(keys.size > 80, `only ${keys.size} keys found: the collector is broken`);
  const missing = [...keys].filter((k) => !I.hasMessage(k));
  assert.deepEqual(missing, []);
  const fallback = [];
  for (const lang of I.LANGUAGES) {
    global.document = { documentElement: {}, querySelectorAll: () => [] };
    I.setLanguage(lang, false);
    for (const k of keys) if (I.t(k) === k) fallback.push(`${lang}:${k}`);
  }
  assert.deepEqual(fallback, []);
});

test('placeholders are filled and the language falls back to English only for unknown codes', () => {
  global.document = { documentElement: {}, querySelectorAll: () => [] };
  I.setLanguage('uk', false);
  assert.equal(I.t('ballot.choose_range', { lo: 1, hi: 2 }), 'Виберіть від 1 до 2 варіантів.');
  assert.equal(I.pick({ uk: 'Так', ru: 'Да', en: 'Yes' }), 'Так');
  I.setLanguage('ru', false);
  assert.equal(I.pick({ uk: 'Так', ru: 'Да', en: 'Yes' }), 'Да');
  I.setLanguage('xx', false);
  assert.equal(I.language(), 'en');
});
