import { annotationPlace } from '../../diff/locations.js';
import type { FindingType } from '../../model/finding.js';
import { VERSION } from '../../version.js';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { evidenceText, failsRun, riskText, sections, TITLES, type Formatter } from './common.js';
import { escapeControls, escapeStrings } from '../../util/escape.js';

/** SARIF 2.1.0 (node-sarif-builder): a rule per finding type, a result per finding, located in its policy file. */
const RULES: Record<FindingType, string> = {
  'new-access': 'An access the proposed policy (HEAD) allows that the base policy does not.',
  'removed-access': 'An access the base policy allows that the proposed policy (HEAD) does not.',
  undetermined:
    'An access that cannot be judged from what was given (a Condition, an aggregated role without its sources).',
  'would-deny': 'An access the logs show as authorized that the enforced policy would deny.',
  unused: 'An access the enforced policy grants that the logs never used.',
  'kept-widening':
    'An access the logs never used that audit2policy generate wrote on purpose, as a widening its evidence lists.',
};

// Loaded when SARIF is asked for: the builder and the fs-extra it requires are ~40 ms of every run's start-up.
// A CommonJS package, so it loads synchronously.
let builders: typeof import('node-sarif-builder') | undefined;

export const sarif: Formatter = (r, failOn) => {
  builders ??= createRequire(import.meta.url)('node-sarif-builder') as typeof import('node-sarif-builder');
  const { SarifBuilder, SarifResultBuilder, SarifRuleBuilder, SarifRunBuilder } = builders;
  const builder = new SarifBuilder();
  const run = new SarifRunBuilder().initSimple({
    toolDriverName: 'audit2policy',
    toolDriverVersion: VERSION,
    url: 'https://github.com/audit2policy/audit2policy',
  });
  for (const [t] of sections(r))
    run.addRule(
      new SarifRuleBuilder().initSimple({
        ruleId: `audit2policy/${t}`,
        shortDescriptionText: TITLES[t],
        fullDescriptionText: RULES[t],
      }),
    );
  for (const [t, list] of sections(r)) {
    for (const raw of list) {
      // Messages are text people read, escaped (src/util/escape.ts); the file is a URI, percent-encoded from the path.
      const f = escapeStrings(raw);
      const at = annotationPlace(f.locations[0]);
      const file = annotationPlace(raw.locations[0]).file;
      const ev = evidenceText(f);
      const risk = riskText(f);
      const result = new SarifResultBuilder().initSimple({
        level: failsRun(f, failOn) ? 'error' : t === 'undetermined' || t === 'kept-widening' ? 'note' : 'warning',
        messageText: `${at.note}${f.kind} ${f.principal}: ${f.summary}${risk ? ` [risk ${risk}]` : ''}${ev ? ` [${ev}]` : ''}${f.detail && f.detail !== f.summary ? ` (${f.detail})` : ''}`,
        ruleId: `audit2policy/${t}`,
        ...(file !== undefined ? { fileUri: sarifUri(file) } : {}),
        ...(at.line !== undefined ? { startLine: Math.max(1, at.line) } : {}),
      });
      // Stable across reruns and line moves: code scanning matches alerts by this, not by line.
      result.result.partialFingerprints = {
        'audit2policy/v1': createHash('sha256')
          .update(JSON.stringify([t, f.kind, f.principal, f.summary, f.detail ?? '']))
          .digest('hex')
          .slice(0, 32),
      };
      if (f.risk) result.result.properties = { risk: f.risk.level, riskReasons: f.risk.reasons };
      run.addResult(result);
    }
  }
  // Input the run could not read: notifications of the run, so code scanning shows the comparison was partial.
  if (r.skipped)
    run.run.invocations = [
      {
        executionSuccessful: true,
        toolExecutionNotifications: r.skipped.issues.map((i) => ({
          level: 'warning' as const,
          message: { text: escapeControls(`${i.code}: ${i.message}`) },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: sarifUri(i.file) },
                region: { startLine: Math.max(1, i.line) },
              },
            },
          ],
        })),
        ...(r.skipped.count > r.skipped.issues.length ? { properties: { skippedIssues: r.skipped.count } } : {}),
      },
    ];
  builder.addRun(run);
  return builder.buildSarifJsonString({ indent: true }) + '\n';
};

/**
 * A policy file's path as the URI reference SARIF's `artifactLocation.uri` is (RFC 3986): `\` read as `/`, each
 * segment percent-encoded from its UTF-8 bytes but for what a path segment may hold as it is (unreserved characters,
 * sub-delims, `@`, and `:` past the first segment, where it would read as a scheme), so a blank, `#`, `?`, `%` or a
 * control character in a file name stays the file's name, and a name as most are (`a,b.yaml`) is written as it is.
 */
export function sarifUri(path: string): string {
  return path
    .split(/[\\/]/)
    .map((seg, i) =>
      encodeURIComponent(seg).replace(/%(24|26|2B|2C|3B|3D|40|3A)/g, (m, hex: string) =>
        hex === '3A' && i === 0 ? m : String.fromCharCode(parseInt(hex, 16)),
      ),
    )
    .join('/');
}
