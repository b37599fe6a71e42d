// The backtest table of docs/performance.md: generate from days 1-6 of fixtures/demo, replay days 7-8, with
// the default options, with --exact and with --saml-any-user. Breakage and excess are counts, not timings: the same
// on any machine.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export function backtestSection(root) {
  const D = join(root, 'fixtures/demo');
  const sources = [
    '--k8s-audit',
    `${D}/k8s-audit`,
    '--cloudtrail',
    `${D}/cloudtrail`,
    '--flows',
    `${D}/flows`,
    '--inventory',
    `${D}/inventory`,
  ];
  const run = (extra) => {
    const args = [
      join(root, 'bin/audit2policy.js'),
      'backtest',
      ...sources,
      '--split',
      '2026-11-08T00:00:00Z',
      '--format',
      'json',
      '-q',
      ...extra,
    ];
    return JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }));
  };
  const pct = (n, d) => (d ? `${((100 * n) / d).toFixed(1)}%` : '—');
  const row = (name, r) => {
    const k = (x) => (r.byKind[x] ? `${r.byKind[x].wouldDeny} of ${r.byKind[x].observed}` : '—');
    const ex = (x) =>
      r.excess[x] ? `${r.excess[x].allowed} of ${r.excess[x].samples} (${r.excess[x].share.toFixed(1)}%)` : '—';
    return `| ${name} | ${r.observed - r.allowed} of ${r.observed} (${pct(r.observed - r.allowed, r.observed)}) | ${k('rbac')} | ${k('iam')} | ${k('netpol')} | ${ex('rbac')} | ${ex('iam')} | ${ex('netpol')} |`;
  };
  const def = run([]);
  const exact = run(['--exact']);
  const saml = run(['--saml-any-user']);
  return `## Backtest on the demo

\`audit2policy backtest\` on fixtures/demo: generated from days 1-6, replayed on days 7-8 (what enforcing
the policy would have met after the soak). Breakage: held-out distinct accesses the policy would deny
(by kind: denied of observed). Excess: negative samples the policy allows (RBAC and IAM: accesses other
principals made that this one never did; network: pairs of workloads that never talked; both in either window).

| options | breakage | RBAC | IAM | network | excess RBAC | excess IAM | excess network |
|---|---|---|---|---|---|---|---|
${row('default (made-up names generalized)', def)}
${row('--exact', exact)}
${row('--saml-any-user (SAML trusts name no user)', saml)}

${def.generalized.length} generalizations and widenings in the default policy; each is listed by \`generate\` and in
the evidence. Counts, not timings: the same on any machine. Trusts name who may become a role; whom else a trust
lets in (any user of an identity provider with \`--saml-any-user\`, any identity of a Cognito identity pool) is no
other principal's access, so excess does not count it: \`check\` lists it.
`;
}
