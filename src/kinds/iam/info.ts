import type { IamOptions } from '../../generate/iam/index.js';
import { wholeNumber } from '../options.js';
import type { KindInfo } from '../types.js';

/** AWS IAM: what the command line and the config file know of it (its generator and evaluator: ./index.ts). */
export const iamInfo: KindInfo<IamOptions, 'iam'> = {
  name: 'iam',
  title: 'IAM',
  description: 'AWS IAM identity policies that allow exactly the calls observed in CloudTrail',
  outputHelp:
    'write DIR/iam/<account>/{role,user}/<name>.json, the index DIR/iam/<account>/index.json and DIR/evidence/iam/ (default: JSON on stdout)',
  examples: [
    ['identity policies from CloudTrail, with their evidence', 'generate iam --cloudtrail AWSLogs/ -o policy/'],
    [
      'one prefix wildcard past 50 S3 keys (a listed widening)',
      'generate iam --profile week.json --s3-prefix-wildcard 50 -o policy/',
    ],
  ],
  nouns: { policies: 'IAM policies', observations: 'CloudTrail calls' },
  options: [
    {
      flags: '--s3-prefix-wildcard <n>',
      description: 'more than N object keys under one prefix → bucket/prefix/* (widening, listed)',
    },
    {
      flags: '--widen-resources <n>',
      description:
        'more than N ARNs of one resource type for one action → the narrowest wildcard covering them, cut at / - _ . : (widening, listed)',
    },
    {
      flags: '--saml-any-user',
      description:
        'SAML trusts name no user (SAML:aud only): any the identity provider sends for the role, not only those seen (widening, listed)',
    },
  ],
  parseOptions(flags) {
    const opts: IamOptions = {};
    const s3 = wholeNumber('--s3-prefix-wildcard', flags['s3PrefixWildcard']);
    const wr = wholeNumber('--widen-resources', flags['widenResources']);
    if (s3 !== undefined) opts.s3PrefixWildcard = s3;
    if (wr !== undefined) opts.widenResources = wr;
    if (flags['exact']) opts.exact = true;
    if (flags['samlAnyUser']) opts.samlAnyUser = true;
    return opts;
  },
  // Roles AWS services, web identities and SAML users assumed (the sections after the principals) are replayed
  // against trusts.
};
