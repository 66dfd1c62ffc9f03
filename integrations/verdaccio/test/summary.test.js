'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { refusal, record } = require('../lib/summary');
const { PUBLISH_PATH, LEGACY_PUBLISH } = require('../index');

const verdict = {
  schema_version: '1.0',
  status: 'needs-acknowledgement',
  tool: { version: '0.1.0' },
  target: { sha256: 'ab', integrity: 'sha512-x' },
  summary: { error: 0, warning: 1, note: 1, acknowledged: 0 },
  findings: [
    { rule_id: 'code/subprocess', level: 'warning', path: 'index.js', line: 2, message: 'spawns git', fingerprint: 'f1:1', acknowledged: false },
    { rule_id: 'content/long-line', level: 'note', path: 'a.js', line: 1, message: 'long', fingerprint: 'f2:1', acknowledged: false },
  ],
};

test('refusal lists rule, place and fingerprint, not notes', () => {
  const text = refusal(verdict, 'x@1.0.0');
  assert.match(text, /needs acknowledgement/);
  assert.match(text, /code\/subprocess {2}index\.js:2 {2}spawns git/);
  assert.match(text, /fingerprint f1:1/);
  assert.doesNotMatch(text, /content\/long-line/);
  assert.match(text, /\[\[acknowledge\]\]/);
});

test('record keeps status, digests and findings', () => {
  const stored = record(verdict, '2026-01-01T00:00:00Z');
  assert.strictEqual(stored.status, 'needs-acknowledgement');
  assert.strictEqual(stored.sha256, 'ab');
  assert.deepStrictEqual(stored.findings.map((f) => f.rule_id), ['code/subprocess', 'content/long-line']);
});

test('publish paths and legacy paths', () => {
  assert.ok(PUBLISH_PATH.test('/@acme%2ftool'));
  assert.ok(PUBLISH_PATH.test('/left-pad/-rev/3-x'));
  assert.ok(!PUBLISH_PATH.test('/-/user/org.couchdb.user:bob'));
  assert.ok(LEGACY_PUBLISH.test('/left-pad/-/left-pad-1.0.0.tgz/-rev/1'));
  assert.ok(LEGACY_PUBLISH.test('/left-pad/1.0.0/-tag/latest'));
  assert.ok(!LEGACY_PUBLISH.test('/-/package/left-pad/dist-tags/latest'));
});
