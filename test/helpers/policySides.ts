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
