// The NetworkPolicy evaluator keeps policies by namespace and, per endpoint object, the policies isolating it;
// `diff` asks "anything at all?" of a pair before asking each port. Checked on random policies: a long-lived set,
// asked many times about the same endpoint objects, decides as a fresh set asked once about copies; a port is
// never allowed where "anything at all?" is not, ICMP aside (the reason diff still asks ICMP of every pair). A rule
// with a long list of peers is read by namespace: it decides as the same peers written one rule each.
import { describe, expect, it } from 'vitest';
import { NetworkPolicySet, type Connection, type Endpoint, type Proto } from '../src/verify/netpol/evaluate.js';
import { rng } from './helpers/cli.js';

const NAMESPACES = ['shop', 'payments', 'monitoring'];
const NS_LABELS = new Map<string, Record<string, string>>([
  ['shop', { team: 'shop' }],
  ['payments', { team: 'payments', pci: 'true' }],
  ['monitoring', { team: 'sre' }],
]);
const DNS = new Map([['52.1.2.3', ['api.stripe.com']]]);

type Pol = { kind: 'NetworkPolicy' | 'CiliumNetworkPolicy'; ns: string; spec: Record<string, unknown> };

function world(seed: number) {
  const rand = rng(seed);
  const one = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const some = <T>(xs: readonly T[], max: number): T[] =>
    Array.from({ length: Math.floor(rand() * (max + 1)) }, () => one(xs));
  const labels = () =>
    rand() < 0.2 ? {} : { app: one(['web', 'cart', 'db', 'prom']), ...(rand() < 0.3 ? { tier: one(['a', 'b']) } : {}) };
  const selector = (): Record<string, unknown> =>
    rand() < 0.3
      ? {}
      : rand() < 0.8
        ? { matchLabels: { app: one(['web', 'cart', 'db', 'prom']) } }
        : {
            matchExpressions: [
              {
                key: one(['app', 'tier']),
                operator: one(['In', 'NotIn', 'Exists', 'DoesNotExist']),
                values: some(['web', 'a', 'db'], 2),
              },
            ],
          };
  const k8sPeer = (): Record<string, unknown> =>
    rand() < 0.2
      ? { ipBlock: { cidr: one(['10.0.0.0/8', '52.0.0.0/8', '0.0.0.0/0']), except: some(['10.1.0.0/16'], 1) } }
      : {
          ...(rand() < 0.5
            ? { namespaceSelector: rand() < 0.5 ? {} : { matchLabels: { team: one(['shop', 'sre', 'payments']) } } }
            : {}),
          ...(rand() < 0.7 ? { podSelector: selector() } : {}),
        };
  const k8sPort = (): Record<string, unknown> =>
    rand() < 0.3
      ? { port: one(['http', 'metrics']), protocol: one(['TCP', 'UDP']) }
      : {
          port: one([80, 443, 8080, 9090]),
          ...(rand() < 0.3 ? { endPort: 9100 } : {}),
          ...(rand() < 0.5 ? { protocol: one(['TCP', 'UDP', 'SCTP']) } : {}),
        };
  const k8sRules = (dir: 'from' | 'to') =>
    some([0], 3).map(() => ({
      ...(rand() < 0.8 ? { [dir]: some([0], 2).map(k8sPeer) } : {}),
      ...(rand() < 0.6 ? { ports: some([0], 2).map(k8sPort) } : {}),
    }));
  const ciliumRules = (dir: 'from' | 'to') =>
    some([0], 3).map(() => {
      const r: Record<string, unknown> = {};
      if (rand() < 0.5)
        r[`${dir}Endpoints`] = some([0], 2).map(() =>
          rand() < 0.3 ? { matchLabels: { 'k8s:io.kubernetes.pod.namespace': one(NAMESPACES) } } : selector(),
        );
      if (rand() < 0.3) r[`${dir}CIDR`] = some(['10.0.0.0/8', '52.0.0.0/8'], 2);
      if (dir === 'to' && rand() < 0.2)
        r['toFQDNs'] = [rand() < 0.5 ? { matchName: 'api.stripe.com' } : { matchPattern: '*.stripe.com' }];
      if (rand() < 0.4)
        r['toPorts'] = [
          {
            ports: some([0], 2).map(() => ({
              port: String(one([80, 443, 9090])),
              protocol: one(['TCP', 'UDP', 'ANY']),
            })),
          },
        ];
      if (rand() < 0.3) r['icmps'] = [{ fields: [{ type: 8, ...(rand() < 0.5 ? { family: 'IPv6' } : {}) }] }];
      return r;
    });
  const policy = (): Pol => {
    const ns = one(NAMESPACES);
    if (rand() < 0.3) {
      const spec: Record<string, unknown> = { endpointSelector: selector() };
      if (rand() < 0.7) spec['ingress'] = ciliumRules('from');
      if (rand() < 0.5) spec['egress'] = ciliumRules('to');
      return { kind: 'CiliumNetworkPolicy', ns, spec };
    }
    const spec: Record<string, unknown> = { podSelector: selector() };
    if (rand() < 0.5) spec['policyTypes'] = some(['Ingress', 'Egress'], 2);
    if (rand() < 0.7) spec['ingress'] = k8sRules('from');
    if (rand() < 0.5) spec['egress'] = k8sRules('to');
    return { kind: 'NetworkPolicy', ns, spec };
  };
  const endpoint = (): Endpoint =>
    rand() < 0.2
      ? { kind: 'ip', ip: one(['10.2.3.4', '52.1.2.3', '8.8.8.8']) }
      : {
          kind: 'pod',
          namespace: one(NAMESPACES),
          labels: labels(),
          ports: some(
            [
              { name: 'http', port: 8080, protocol: 'TCP' },
              { name: 'metrics', port: 9090, protocol: 'TCP' },
            ],
            2,
          ),
          ...(rand() < 0.3 ? { ip: '10.2.3.4' } : {}),
        };
  const policies = Array.from({ length: 1 + Math.floor(rand() * 6) }, policy);
  const endpoints = Array.from({ length: 6 }, endpoint);
  return { rand, one, policies, endpoints };
}

const setOf = (policies: Pol[]) => {
  const set = new NetworkPolicySet(NS_LABELS, DNS);
  policies.forEach((p, i) => set.add(p.kind, `p${i}`, p.ns, p.spec));
  return set;
};

const PROTOCOLS: Proto[] = ['TCP', 'UDP', 'SCTP', 'ICMP', 'ICMPv6'];

describe('the NetworkPolicy evaluator with its indexes', () => {
  it('a long-lived set decides every question as a fresh set does, on 400 random worlds', () => {
    let allowed = 0;
    let denied = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const { rand, one, policies, endpoints } = world(seed);
      const kept = setOf(policies);
      for (let q = 0; q < 60; q++) {
        const c: Connection = { src: one(endpoints), dst: one(endpoints) };
        if (rand() < 0.8) {
          c.protocol = one(PROTOCOLS);
          c.port = one([80, 443, 8080, 9090, 9095]);
        }
        const fresh = setOf(structuredClone(policies)).allows(structuredClone(c));
        expect(kept.allows(c), JSON.stringify({ policies, c })).toEqual(fresh);
        if (fresh.allowed) allowed++;
        else denied++;
      }
    }
    expect(allowed).toBeGreaterThan(2000);
    expect(denied).toBeGreaterThan(2000);
  });

  it('a port is allowed only where "anything at all?" is, but for ICMP', () => {
    let icmpOnly = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const { policies, endpoints } = world(seed);
      const set = setOf(policies);
      for (const src of endpoints)
        for (const dst of endpoints) {
          const any = set.allows({ src, dst }).allowed;
          for (const protocol of PROTOCOLS)
            for (const port of [80, 443, 8080, 9090]) {
              const one = set.allows({ src, dst, protocol, port }).allowed;
              if (protocol === 'ICMP' || protocol === 'ICMPv6') {
                if (one && !any) icmpOnly++;
              } else if (one) expect(any, JSON.stringify({ policies, src, dst, protocol, port })).toBe(true);
            }
        }
    }
    // The exception is real: a Cilium rule of `icmps` alone passes ICMP and no port.
    expect(icmpOnly).toBeGreaterThan(0);
  });

  it('a policy added after questions were asked is seen by the next one', () => {
    const web: Endpoint = { kind: 'pod', namespace: 'shop', labels: { app: 'web' }, ports: [] };
    const db: Endpoint = { kind: 'pod', namespace: 'shop', labels: { app: 'db' }, ports: [] };
    const set = new NetworkPolicySet(NS_LABELS);
    expect(set.allows({ src: web, dst: db, protocol: 'TCP', port: 5432 }).allowed).toBe(true);
    set.add('NetworkPolicy', 'deny', 'shop', { podSelector: {}, policyTypes: ['Ingress'] });
    expect(set.allows({ src: web, dst: db, protocol: 'TCP', port: 5432 }).allowed).toBe(false);
  });

  it('a long peer list, read by namespace, decides as its peers written one rule each', () => {
    let allowed = 0;
    let denied = 0;
    let byName = 0;
    let maybe = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const { rand, one, endpoints } = world(seed);
      const nsSelector = (): unknown => {
        const r = rand();
        if (r < 0.35) return { matchLabels: { 'kubernetes.io/metadata.name': one([...NAMESPACES, 'elsewhere']) } };
        if (r < 0.45) return { matchLabels: { 'kubernetes.io/metadata.name': one(NAMESPACES), team: 'shop' } };
        if (r < 0.5) return { matchLabels: { 'kubernetes.io/metadata.name': 7 } };
        if (r < 0.6)
          return {
            matchLabels: { 'kubernetes.io/metadata.name': one(NAMESPACES) },
            matchExpressions: [{ key: 'pci', operator: one(['Exists', 'DoesNotExist']) }],
          };
        if (r < 0.7)
          return {
            matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: [one(NAMESPACES)] }],
          };
        if (r < 0.8) return { matchLabels: { team: one(['shop', 'sre', 'payments']) } };
        return {};
      };
      const peer = (): unknown => {
        const r = rand();
        if (r < 0.03) return one([42, null, 'x']);
        if (r < 0.15) return { ipBlock: { cidr: one(['10.0.0.0/8', '52.0.0.0/8']), except: [] } };
        const p: Record<string, unknown> = {};
        if (rand() < 0.75) p['namespaceSelector'] = nsSelector();
        if (rand() < 0.7)
          p['podSelector'] = rand() < 0.2 ? {} : { matchLabels: { app: one(['web', 'cart', 'db', 'prom']) } };
        return p;
      };
      const ports = () => (rand() < 0.5 ? { ports: [{ port: one([80, 9090]), protocol: 'TCP' }] } : {});
      const long: Pol[] = [];
      const split: Pol[] = [];
      for (let k = 0; k < 1 + Math.floor(rand() * 4); k++) {
        const ns = one(NAMESPACES);
        const dir = rand() < 0.5 ? 'ingress' : 'egress';
        const rules = Array.from({ length: 1 + Math.floor(rand() * 2) }, () => ({
          [dir === 'ingress' ? 'from' : 'to']: Array.from({ length: 8 + Math.floor(rand() * 16) }, peer),
          ...ports(),
        }));
        const spec = {
          podSelector: rand() < 0.5 ? {} : { matchLabels: { app: one(['web', 'db', 'prom']) } },
          policyTypes: [dir === 'ingress' ? 'Ingress' : 'Egress'],
          [dir]: rules,
        };
        const one1 = {
          ...spec,
          [dir]: rules.flatMap((r) => {
            const { from, to, ...rest } = r as Record<string, unknown>;
            return ((from ?? to) as unknown[]).map((x) => ({ [dir === 'ingress' ? 'from' : 'to']: [x], ...rest }));
          }),
        };
        long.push({ kind: 'NetworkPolicy', ns, spec });
        split.push({ kind: 'NetworkPolicy', ns, spec: one1 });
        // The same spec object in a second namespace: peers without a namespaceSelector are that namespace's.
        if (rand() < 0.3) {
          const other = one(NAMESPACES);
          long.push({ kind: 'NetworkPolicy', ns: other, spec });
          split.push({ kind: 'NetworkPolicy', ns: other, spec: one1 });
        }
      }
      const a = setOf(long);
      const b = setOf(split);
      for (const src of endpoints)
        for (const dst of endpoints)
          for (const c of [
            { src, dst },
            { src, dst, protocol: 'TCP' as Proto, port: one([80, 9090, 443]) },
          ]) {
            const d = a.allows(c);
            expect(d.allowed, JSON.stringify({ long, c })).toBe(b.allows(c).allowed);
            // A pod only an ipBlock covers is a maybe (the plugin is not known): the same whichever way it is read.
            const t = a.answer(c);
            expect(t).toBe(b.answer(c));
            expect(d.allowed).toBe(t === 2);
            expect(a.isAllowed(c)).toBe(t !== 0);
            if (t === 1) maybe++;
            if (!d.allowed) denied++;
            else if (/NetworkPolicy \S+ rule/.test(d.detail)) {
              allowed++;
              // Allowed by a rule across namespaces: a peer found in another namespace's part of a list.
              if (c.src.kind === 'pod' && c.dst.kind === 'pod' && c.src.namespace !== c.dst.namespace) byName++;
            }
          }
    }
    expect(allowed).toBeGreaterThan(3000);
    expect(denied).toBeGreaterThan(900);
    expect(byName).toBeGreaterThan(1400);
    expect(maybe).toBeGreaterThan(100);
  });
});
