import { SarifBuilder, SarifResultBuilder, SarifRuleBuilder, SarifRunBuilder } from 'node-sarif-builder';
import type { FindingType } from '../../model/finding.js';
import { VERSION } from '../../version.js';
import { evidenceText, failingTypes, sections, TITLES, type Formatter } from './common.js';

/** SARIF 2.1.0 (node-sarif-builder): a rule per finding type, a result per finding, located in its policy file. */
const RULES: Record<FindingType, string> = {
  granted: 'An access the new policy grants that the committed policy does not.',
  revoked: 'An access the committed policy grants that the new policy does not.',
  undetermined:
    'An access that cannot be judged from what was given (a Condition, an aggregated role without its sources).',
  'would-deny': 'An access the logs show as authorized that the enforced policy would deny.',
  unused: 'An access the enforced policy grants that the logs never used.',
};

export const sarif: Formatter = (r, failOn) => {
  const failing = failingTypes(r.command, failOn);
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
    for (const f of list) {
      const loc = f.locations[0];
      const ev = evidenceText(f);
      const result = new SarifResultBuilder().initSimple({
        level: failing.has(t) ? 'error' : t === 'undetermined' ? 'note' : 'warning',
        messageText: `${f.kind} ${f.principal}: ${f.summary}${ev ? ` [${ev}]` : ''}${f.detail && f.detail !== f.summary ? ` (${f.detail})` : ''}`,
        ruleId: `audit2policy/${t}`,
        ...(loc ? { fileUri: loc.file.split('\\').join('/'), startLine: Math.max(1, loc.line) } : {}),
      });
      run.addResult(result);
    }
  }
  builder.addRun(run);
  return builder.buildSarifJsonString({ indent: true }) + '\n';
};
