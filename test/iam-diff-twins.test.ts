import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tmp } from './helpers/cli.js';

/**
 * `diff` and `check` keep partition twins apart, as `verify` does (test/aws-principal-twins.test.ts): a role of one
 * account id and name in `aws` and in `aws-cn` is two roles (each partition has its own IAM), written as
 * `role/app.json` and `role/app~aws-cn.json`, both in `iam/<account>/index.json`. They were compared under one key
 * `<account>/role/app`: a change to one twin's file was labelled with the other's ARN, a grant moved from one twin to
 * the other was no change, and `check` judged one twin's grants by the other's calls.
 */
const A = '111122223333';
const GLOBAL_Q = `arn:aws:sqs:eu-west-1:${A}:global-q`;
const CHINA_Q = `arn:aws-cn:sqs:cn-north-1:${A}:china-q`;
const AWS_ROLE = `arn:aws:iam::${A}:role/app`;
const CN_ROLE = `arn:aws-cn:iam::${A}:role/app`;

type Rec = Record<string, unknown>;

function session(partition: string, name: string): Rec {
  return {
    type: 'AssumedRole',
    principalId: `AROAEXAMPLE:${name}`,
    arn: `arn:${partition}:sts::${A}:assumed-role/app/${name}`,
    accountId: A,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: 'AROAEXAMPLE',
        arn: `arn:${partition}:iam::${A}:role/app`,
        accountId: A,
        userName: 'app',
      },
      attributes: { creationDate: '2026-11-05T08:00:00Z', mfaAuthenticated: 'false' },
    },
  };
}

function sqs(userIdentity: Rec, event: string, id: string, region: string, queueUrl: string): Rec {
  return {
    eventVersion: '1.09',
    userIdentity,
    eventTime: '2026-11-05T10:00:00Z',
    eventSource: 'sqs.amazonaws.com',
    eventName: event,
    awsRegion: region,
    eventID: id,
    recipientAccountId: A,
    requestParameters: { queueUrl, ...(event === 'SendMessage' ? { messageBody: 'x' } : { receiptHandle: 'h' }) },
  };
}

// The aws twin sends to its queue; the aws-cn twin deletes messages from its own.
const logs = tmp();
writeFileSync(
  join(logs, 'ct.jsonl'),
  [
    sqs(session('aws', 's1'), 'SendMessage', 'g1', 'eu-west-1', `https://sqs.eu-west-1.amazonaws.com/${A}/global-q`),
    sqs(
      session('aws-cn', 's1'),
      'DeleteMessage',
      'c1',
      'cn-north-1',
      `https://sqs.cn-north-1.amazonaws.com.cn/${A}/china-q`,
    ),
  ]
    .map((r) => JSON.stringify(r))
    .join('\n') + '\n',
);
const base = join(tmp(), 'base');
const gen = cli(['generate', 'iam', '--cloudtrail', logs, '-o', base, '-q']);

const AWS_FILE = `iam/${A}/role/app.json`;
const CN_FILE = `iam/${A}/role/app~aws-cn.json`;
const INDEX = `iam/${A}/index.json`;

/** A copy of the generated tree, changed by `edit`. */
function head(edit: (dir: string) => void): string {
  const dir = join(tmp(), 'head');
  cpSync(base, dir, { recursive: true });
  edit(dir);
  return dir;
}
type Doc = { Statement: Rec[] };
const read = (dir: string, file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as Doc;
const write = (dir: string, file: string, doc: unknown) =>
  writeFileSync(join(dir, file), JSON.stringify(doc, null, 2) + '\n');
const grant = (sid: string, action: string, resource: string) => ({
  Sid: sid,
  Effect: 'Allow',
  Action: action,
  Resource: resource,
});

interface Finding {
  principal: string;
  summary: string;
  locations: { file: string; line: number }[];
}
function diff(b: string, h: string) {
  const r = cli(['diff', b, h, '--kind', 'iam', '--format', 'json', '--fail-on', 'none']);
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout) as { newAccess: Finding[]; removedAccess: Finding[]; undetermined: Finding[] };
  const words = (fs: Finding[]) => fs.map((f) => `${f.principal}: ${f.summary}`);
  return { newAccess: words(out.newAccess), removedAccess: words(out.removedAccess), raw: out };
}

describe('diff keeps partition twins apart', () => {
  it('the twins were generated, each with its own file', () => {
    expect(gen.code, gen.stderr).toBe(0);
    expect(read(base, AWS_FILE).Statement.map((s) => s['Action'])).toEqual([['sqs:SendMessage']]);
    expect(read(base, CN_FILE).Statement.map((s) => s['Action'])).toEqual([['sqs:DeleteMessage']]);
  });

  it("a grant added to one twin's file is new access of that twin's ARN, located in its file", () => {
    for (const [file, arn, resource] of [
      [CN_FILE, CN_ROLE, CHINA_Q],
      [AWS_FILE, AWS_ROLE, GLOBAL_Q],
    ] as const) {
      const h = head((dir) => {
        const doc = read(dir, file);
        doc.Statement.push(grant('Purge', 'sqs:PurgeQueue', resource));
        write(dir, file, doc);
      });
      const d = diff(base, h);
      expect(d.newAccess).toEqual([`${arn}: sqs:PurgeQueue on ${resource}`]);
      expect(d.raw.newAccess[0]!.locations.map((l) => l.file)).toEqual([join(h, file)]);
      expect(d.removedAccess).toEqual([]);
    }
  });

  it("a grant moved from one twin's file to the other's is removed from the one and new to the other", () => {
    const h = head((dir) => {
      const g = read(dir, AWS_FILE);
      const c = read(dir, CN_FILE);
      c.Statement.push(...g.Statement);
      write(dir, CN_FILE, c);
      write(dir, AWS_FILE, { Version: '2012-10-17', Statement: [grant('Other', 'sqs:GetQueueUrl', GLOBAL_Q)] });
    });
    const d = diff(base, h);
    expect(d.newAccess.sort()).toEqual(
      [`${AWS_ROLE}: sqs:GetQueueUrl on ${GLOBAL_Q}`, `${CN_ROLE}: sqs:SendMessage on ${GLOBAL_Q}`].sort(),
    );
    expect(d.removedAccess).toEqual([`${AWS_ROLE}: sqs:SendMessage on ${GLOBAL_Q}`]);
  });

  it("removing one twin's file (with or without its index entry) is removed access of that twin only", () => {
    for (const [file, arn, gone] of [
      [CN_FILE, CN_ROLE, `sqs:DeleteMessage on ${CHINA_Q}`],
      [AWS_FILE, AWS_ROLE, `sqs:SendMessage on ${GLOBAL_Q}`],
    ] as const) {
      for (const unlist of [false, true]) {
        const h = head((dir) => {
          rmSync(join(dir, file));
          if (!unlist) return;
          const index = JSON.parse(readFileSync(join(dir, INDEX), 'utf8')) as { principals: { arn: string }[] };
          index.principals = index.principals.filter((p) => p.arn !== arn);
          write(dir, INDEX, index);
        });
        const d = diff(base, h);
        expect(d.removedAccess, `${file} unlisted: ${unlist}`).toEqual([`${arn}: ${gone}`]);
        expect(d.newAccess).toEqual([]);
      }
    }
  });

  it('twins without an index are told apart by their places, and named by their partitions', () => {
    const b = head((dir) => rmSync(join(dir, INDEX)));
    const h = head((dir) => {
      rmSync(join(dir, INDEX));
      const doc = read(dir, CN_FILE);
      doc.Statement.push(grant('Purge', 'sqs:PurgeQueue', CHINA_Q));
      write(dir, CN_FILE, doc);
    });
    expect(diff(b, h).newAccess).toEqual([`${CN_ROLE}: sqs:PurgeQueue on ${CHINA_Q}`]);
  });
});

describe('check keeps partition twins apart', () => {
  const check = (policies: string) => {
    const r = cli(['check', '--policies', policies, '--cloudtrail', logs, '--format', 'json', '--fail-on', 'none']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { unused: Finding[]; wouldDeny: Finding[]; unusedShare: Record<string, number> };
  };

  it("each twin's grants are judged by its own calls: none unused, a share per twin", () => {
    const r = check(base);
    expect(r.wouldDeny).toEqual([]);
    expect(r.unused.map((f) => `${f.principal}: ${f.summary}`)).toEqual([]);
    expect(r.unusedShare).toEqual({ [CN_ROLE]: 0, [AWS_ROLE]: 0 });
  });

  it('a grant of what only the other twin did is unused, for the twin whose file holds it', () => {
    const h = head((dir) => {
      const doc = read(dir, AWS_FILE);
      doc.Statement.push(grant('Del', 'sqs:DeleteMessage', `arn:*:sqs:*:${A}:*`));
      write(dir, AWS_FILE, doc);
    });
    const r = check(h);
    expect(r.unused.map((f) => `${f.principal}: ${f.summary}`)).toEqual([
      `${AWS_ROLE}: sqs:DeleteMessage on arn:*:sqs:*:${A}:*`,
    ]);
    expect(r.unused[0]!.locations.map((l) => l.file)).toEqual([join(h, AWS_FILE)]);
    expect(r.unusedShare).toEqual({ [CN_ROLE]: 0, [AWS_ROLE]: 0.5 });
  });

  it("twins of the logs with the policy of one only: its grants are judged by its own calls, not its twin's", () => {
    const h = head((dir) => {
      rmSync(join(dir, AWS_FILE));
      const index = JSON.parse(readFileSync(join(dir, INDEX), 'utf8')) as { principals: { arn: string }[] };
      index.principals = index.principals.filter((p) => p.arn !== AWS_ROLE);
      write(dir, INDEX, index);
      const doc = read(dir, CN_FILE);
      doc.Statement.push(grant('Send', 'sqs:SendMessage', `arn:*:sqs:*:${A}:*`));
      write(dir, CN_FILE, doc);
    });
    const r = check(h);
    expect(r.unused.map((f) => `${f.principal}: ${f.summary}`)).toEqual([
      `${CN_ROLE}: sqs:SendMessage on arn:*:sqs:*:${A}:*`,
    ]);
    expect(r.unusedShare).toEqual({ [CN_ROLE]: 0.5 });
  });
});
