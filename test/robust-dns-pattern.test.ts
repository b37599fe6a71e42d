// CiliumNetworkPolicy toFQDNs.matchPattern (issue 17): matched as Cilium matches it (pkg/fqdn/matchpattern: `*`
// alone matches every name, a leading `**.` one or more labels, any other `*` DNS characters within one label),
// without a regular expression, so a pattern of many `*` against a long name costs linear time.
import { describe, expect, it } from 'vitest';
import { compileDnsPattern } from '../src/util/glob.js';
import { NetworkPolicySet, type Connection } from '../src/verify/netpol/evaluate.js';
import { rng } from './helpers/cli.js';
import { runTimed } from './helpers/timed.js';

/** Cilium's own reading (ToAnchoredRegexp on the sanitized pattern, names in FQDN form): the reference. */
function cilium(pattern: string, name: string): boolean {
  const fqdn = (s: string) => (s.endsWith('.') ? s : s + '.');
  let p = pattern.trim().toLowerCase();
  if (p.length > 255 || !/^[-a-z0-9_.*]+$/.test(p)) return false;
  const n = fqdn(name.trim().toLowerCase());
  const dns = '[-a-z0-9_]';
  if (/^\*+\.?$/.test(p)) return new RegExp(`(^(${dns}+[.])+$)|(^[.]$)`).test(n);
  p = fqdn(p);
  let src = '';
  let start = 0;
  const lead = /^\*{2,}\./.exec(p);
  if (lead) {
    src += `(${dns}+([.]${dns}+){0,})[.]`;
    start = lead[0].length;
  }
  for (let i = start; i < p.length; i++) {
    const c = p[i]!;
    if (c === '.') src += '[.]';
    else if (c === '*') {
      while (p[i + 1] === '*') i++;
      src += `${dns}*`;
    } else src += c;
  }
  return new RegExp(`^${src}$`).test(n);
}

const WEB: Connection['src'] = { kind: 'pod', namespace: 'shop', labels: { app: 'web' }, ports: [] };
const ADDR = '203.0.113.10';

/** Whether a CiliumNetworkPolicy with this toFQDNs entry lets web reach an address known by `names`. */
function egressAllowed(fqdn: Record<string, string>, names: string[]): boolean {
  const set = new NetworkPolicySet(new Map(), new Map([[ADDR, names]]));
  set.add('CiliumNetworkPolicy', 'web-egress', 'shop', {
    endpointSelector: { matchLabels: { app: 'web' } },
    egress: [{ toFQDNs: [fqdn] }],
  });
  return set.allows({ src: WEB, dst: { kind: 'ip', ip: ADDR }, protocol: 'TCP', port: 443 }).allowed;
}

describe('toFQDNs matchPattern as Cilium reads it', () => {
  it('agrees with Cilium’s regular expression on 20,000 random small patterns and names', () => {
    const r = rng(53);
    const pick = (xs: string[]) => xs[Math.floor(r() * xs.length)]!;
    const word = (n: number, alphabet: string[]) => Array.from({ length: n }, () => pick(alphabet)).join('');
    const chars = ['a', 'b', 'A', '-', '_', '.', '.', '1'];
    let matched = 0;
    for (let i = 0; i < 20_000; i++) {
      const pattern = (r() < 0.2 ? '**.' : '') + word(1 + Math.floor(r() * 7), [...chars, '*', '*']);
      let name = word(Math.floor(r() * 12), [...chars, '/', ' ']);
      if (r() < 0.6) {
        // The pattern filled in: stars replaced by DNS characters (sometimes a dot), the `**.` by labels.
        name = pattern
          .replace(/^\*\*\./, () => word(1 + Math.floor(r() * 3), ['x', 'y']) + (r() < 0.5 ? '.z.' : '.'))
          .replace(/\*/g, () => word(Math.floor(r() * 3), r() < 0.1 ? ['a', '.'] : ['a', 'B', '-', '_']));
        if (r() < 0.3) name += '.';
      }
      const want = cilium(pattern, name);
      if (want) matched++;
      expect(compileDnsPattern(pattern).test(name), JSON.stringify([pattern, name])).toBe(want);
    }
    expect(matched).toBeGreaterThan(2_000);
  });

  it('in the evaluator: one label per `*`, `**.` for deeper names, any case, with or without the final dot', () => {
    expect(egressAllowed({ matchPattern: '*.example.com' }, ['api.example.com'])).toBe(true);
    // The regular expression used before let `*` cross dots: Cilium does not.
    expect(egressAllowed({ matchPattern: '*.example.com' }, ['a.b.example.com'])).toBe(false);
    expect(egressAllowed({ matchPattern: '**.example.com' }, ['a.b.example.com'])).toBe(true);
    expect(egressAllowed({ matchPattern: '**.example.com' }, ['example.com'])).toBe(false);
    expect(egressAllowed({ matchPattern: 'api-*.Example.COM.' }, ['API-v2.example.com'])).toBe(true);
    expect(egressAllowed({ matchPattern: '*' }, ['anything.at.all'])).toBe(true);
    expect(egressAllowed({ matchPattern: 'a+b.example.com' }, ['a+b.example.com'])).toBe(false);
    expect(egressAllowed({ matchName: 'API.Stripe.com.' }, ['api.stripe.com'])).toBe(true);
    expect(egressAllowed({ matchName: 'api.stripe.com' }, ['api.stripe.com.evil'])).toBe(false);
  });

  it('a pattern of many `*` against a 200,000-character name and a name of 20,000 labels, under a deadline', () => {
    // The regular expression built before (`[-a-zA-Z0-9_.]*` per star) backtracks through every split of the name.
    const body = `
      import { NetworkPolicySet } from './dist/verify/netpol/evaluate.js';
      const cases = [
        ['${'a*'.repeat(60)}c', 'a'.repeat(200000)],
        ['**.${'*a.'.repeat(40)}c', Array.from({ length: 20000 }, () => 'aa').join('.')],
      ];
      const out = [];
      const t0 = Date.now();
      for (const [pattern, name] of cases) {
        const set = new NetworkPolicySet(new Map(), new Map([['203.0.113.10', [name]]]));
        set.add('CiliumNetworkPolicy', 'p', 'shop', {
          endpointSelector: { matchLabels: { app: 'web' } },
          egress: [{ toFQDNs: [{ matchPattern: pattern }] }],
        });
        out.push(set.allows({
          src: { kind: 'pod', namespace: 'shop', labels: { app: 'web' }, ports: [] },
          dst: { kind: 'ip', ip: '203.0.113.10' }, protocol: 'TCP', port: 443,
        }).allowed);
      }
      console.log(JSON.stringify({ out, ms: Date.now() - t0 }));
    `;
    const r = runTimed(body, 20_000);
    expect(r.timedOut, r.stderr).toBe(false);
    expect(r.out).toMatchObject({ out: [false, false] });
    expect((r.out as { ms: number }).ms).toBeLessThan(2_000);
  }, 30_000);
});
