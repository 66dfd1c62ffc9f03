'use strict';
// Turn an extgate verdict into what the publisher reads in npm's error output, and into the short record
// stored beside the version. Pure functions: no I/O.

const MAX_LISTED = 12;

function where(finding) {
  if (!finding.path) return '';
  return finding.line ? `${finding.path}:${finding.line}` : finding.path;
}

function clip(text, limit) {
  const flat = String(text || '').replace(/\s+/g, ' ').trim();
  return flat.length <= limit ? flat : flat.slice(0, limit - 1) + '…';
}

// Multi-line message for a refused publish (npm prints the registry's `error` text, one line each).
function refusal(verdict, spec) {
  const findings = (verdict.findings || []).filter((f) => f.level === 'error' || (f.level === 'warning' && !f.acknowledged));
  const counts = verdict.summary || {};
  const head = verdict.status === 'needs-acknowledgement'
    ? `extgate: ${spec} needs acknowledgement (${counts.warning || 0} unacknowledged warning(s)); publish refused.`
    : `extgate: ${spec} is blocked (${counts.error || 0} error(s), ${counts.warning || 0} warning(s)); publish refused.`;
  const lines = [head];
  for (const f of findings.slice(0, MAX_LISTED)) {
    const place = where(f);
    lines.push(`  ${f.level.padEnd(7)} ${f.rule_id}${place ? '  ' + clip(place, 80) : ''}  ${clip(f.message, 220)}`);
    if (f.level === 'warning') lines.push(`          fingerprint ${f.fingerprint}`);
  }
  if (findings.length > MAX_LISTED) lines.push(`  ... and ${findings.length - MAX_LISTED} more`);
  lines.push('How to fix: fix each error (`extgate check .` shows them locally; `extgate explain RULE` says why and how).');
  if (findings.some((f) => f.level === 'warning')) {
    lines.push('A warning you accept: add [[acknowledge]] with its fingerprint and a reason to .extgate.toml in the package.');
  }
  return lines.join('\n');
}

// The record kept in the packument beside the version (`npm view NAME@VERSION extgate`).
function record(verdict, checkedAt) {
  return {
    status: verdict.status,
    schema_version: verdict.schema_version,
    tool_version: verdict.tool && verdict.tool.version,
    checked_at: checkedAt,
    sha256: verdict.target && verdict.target.sha256,
    integrity: verdict.target && verdict.target.integrity,
    summary: verdict.summary,
    findings: (verdict.findings || []).slice(0, 50).map((f) => ({
      rule_id: f.rule_id,
      level: f.level,
      path: f.path,
      line: f.line,
      fingerprint: f.fingerprint,
      acknowledged: f.acknowledged,
    })),
  };
}

module.exports = { refusal, record, clip };
