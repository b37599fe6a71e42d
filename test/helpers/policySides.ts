import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { tmp } from './cli.js';

/** A policy tree holding one identity policy of these statements, for role `app` in account 111122223333. */
export function iamSide(statements: Record<string, unknown>[]): string {
  const dir = join(tmp(), 'policy');
  mkdirSync(join(dir, 'iam/111122223333/role'), { recursive: true });
  const doc = { Version: '2012-10-17', Statement: statements };
  writeFileSync(join(dir, 'iam/111122223333/role/app.json'), JSON.stringify(doc, null, 2) + '\n');
  return dir;
}

/** A policy tree holding these RBAC objects in one multi-document YAML file (`rbac/all.yaml`). */
export function rbacSide(objects: unknown[]): string {
  const dir = join(tmp(), 'policy');
  mkdirSync(join(dir, 'rbac'), { recursive: true });
  writeFileSync(join(dir, 'rbac/all.yaml'), objects.map((o) => dump(o)).join('---\n'));
  return dir;
}

/** A policy tree of these documents, one JSON file each (`p0.json`, `p1.json`, ...). */
export function docsSide(docs: unknown[]): string {
  const dir = join(tmp(), 'policy');
  mkdirSync(dir, { recursive: true });
  for (const [i, d] of docs.entries()) writeFileSync(join(dir, `p${i}.json`), JSON.stringify(d, null, 2) + '\n');
  return dir;
}

/** A CiliumNetworkPolicy of namespace shop. */
export const shopCnp = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'cilium.io/v2',
  kind: 'CiliumNetworkPolicy',
  metadata: { name, namespace: 'shop' },
  spec,
});
