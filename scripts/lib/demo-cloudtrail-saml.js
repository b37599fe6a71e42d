// People of the demo's CloudTrail: the on-call engineers, who sign in to AWS through the company's Okta with SAML
// (its own seed, so every other record keeps its bytes).
//
// - ops/oncall: assumed with AssumeRoleWithSAML through the account's SAML provider Okta, as the console does after
//   an Okta sign-in (the CloudTrail User Guide's shape: SAMLUser, the provider's ARN in principalArn, STS's answer
//   with subject, subjectType persistent and the audience https://signin.aws.amazon.com/saml). Okta passes the
//   engineer's team as a session tag (principalTags), so the trust must allow sts:TagSession too. Jane is on call
//   days 1-4, Li days 5-8; Omar, new in the team, shadows Li on day 8 (held out by the backtest: a user the soak never
//   saw). Each sign-in looks at the instances, the metrics and the shop's logs.
import { mulberry32, trailIds } from './prng.js';
import { DAYS, HOUR, MIN, START } from './demo-timeline.js';
import { trailRecordOf } from './demo-trail-record.js';

const SEED = 20261205;
const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
export const OKTA = `arn:aws:iam::${ACCOUNT}:saml-provider/Okta`;
export const ONCALL_ROLE = `arn:aws:iam::${ACCOUNT}:role/ops/oncall`;
/** Who is on call each day (day index → engineers signing in). */
export const ONCALL = (d) =>
  d < 4 ? ['jane@acme.example'] : d === 7 ? ['li@acme.example', 'omar@acme.example'] : ['li@acme.example'];
const CONSOLE = 'AWS Internal';
const BROWSER = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0';
const OFFICE_IP = '198.51.100.24';

/** The records, in no order (the caller sorts them with the rest). */
export function samlCloudTrail() {
  const { int, hex, uuid, upper, iso } = trailIds(mulberry32(SEED));
  const events = [];
  const qualifier = 'g4RD/xcF3dcnEghdegAhfaPo+ow=';
  const roleId = `AROA${upper(17)}`;
  const build = trailRecordOf({
    ids: { uuid, iso },
    account: ACCOUNT,
    region: REGION,
    ip: OFFICE_IP,
    agent: CONSOLE,
    readOnly: /^(Get|List|Describe|Filter)/,
  });
  const record = (...args) => events.push(build(...args));

  /** One sign-in: the SAML assertion exchanged for the role, then a look around. */
  function signIn(t, who) {
    record(
      t,
      { type: 'SAMLUser', principalId: `${qualifier}:${who}`, userName: who, identityProvider: qualifier },
      'sts.amazonaws.com',
      'AssumeRoleWithSAML',
      {
        sAMLAssertionID: `id${hex(32)}`,
        roleSessionName: who,
        principalTags: { team: 'sre' },
        durationSeconds: 28800,
        roleArn: ONCALL_ROLE,
        principalArn: OKTA,
      },
      {
        agent: BROWSER,
        readOnly: true,
        response: {
          subjectType: 'persistent',
          issuer: 'http://www.okta.com/exk1a2b3c4d5e6f7g8h9',
          credentials: { accessKeyId: `ASIA${upper(16)}`, sessionToken: '<redacted>', expiration: iso(t + 8 * HOUR) },
          nameQualifier: qualifier,
          assumedRoleUser: {
            assumedRoleId: `${roleId}:${who}`,
            arn: `arn:aws:sts::${ACCOUNT}:assumed-role/oncall/${who}`,
          },
          packedPolicySize: 2,
          subject: who,
          audience: 'https://signin.aws.amazon.com/saml',
        },
        resources: [{ accountId: ACCOUNT, type: 'AWS::IAM::Role', ARN: ONCALL_ROLE }],
      },
    );
    const me = {
      type: 'AssumedRole',
      principalId: `${roleId}:${who}`,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/oncall/${who}`,
      accountId: ACCOUNT,
      accessKeyId: `ASIA${upper(16)}`,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: roleId,
          arn: ONCALL_ROLE,
          accountId: ACCOUNT,
          userName: 'oncall',
        },
        attributes: { creationDate: iso(t), mfaAuthenticated: 'false' },
      },
    };
    const look = { console: true };
    record(t + 20_000, me, 'ec2.amazonaws.com', 'DescribeInstances', { filterSet: {}, instancesSet: {} }, look);
    record(
      t + 45_000,
      me,
      'monitoring.amazonaws.com',
      'GetMetricData',
      { startTime: iso(t - 3 * HOUR), endTime: iso(t), maxDatapoints: 1440 },
      look,
    );
    record(
      t + 70_000 + int(MIN),
      me,
      'logs.amazonaws.com',
      'FilterLogEvents',
      { logGroupName: '/acme/shop', startTime: t - HOUR, filterPattern: 'ERROR' },
      look,
    );
  }

  for (let d = 0; d < DAYS; d++) {
    const day = START + d * 24 * HOUR;
    for (const [k, who] of ONCALL(d).entries()) {
      signIn(day + (8 + k) * HOUR + int(50 * MIN), who);
      if (int(2) === 0) signIn(day + (19 + k) * HOUR + int(50 * MIN), who);
    }
  }
  return events;
}
