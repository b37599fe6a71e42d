import { runSimulation } from '@cloud-copilot/iam-simulate';
import { expect } from 'vitest';

/** An identity policy as the generator writes it. */
export type SimPolicy = { Statement: { Action: string[]; Resource: string[] | string }[] };

/**
 * iam-simulate's verdict (`Allowed`, `ImplicitlyDenied`...) on one request of `principal` under one identity policy:
 * the dev-dependency oracle the IAM tests check generated policies against. A KMS key answers to its key policy
 * first: the default one (the account's root may do anything) hands the decision to IAM policies, and is given.
 */
export async function simulate(
  policy: SimPolicy,
  request: { principal: string; action: string; resource: string; context?: Record<string, string> },
  /** The resource's account (the tests' records are all in one). */
  account = '111122223333',
): Promise<string> {
  const sim = await runSimulation(
    {
      identityPolicies: [{ name: 'p', policy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: request.action.startsWith('kms:')
        ? {
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' },
            ],
          }
        : undefined,
      request: {
        action: request.action,
        principal: request.principal,
        resource: { accountId: account, resource: request.resource },
        contextVariables: request.context ?? {},
      },
    } as never,
    {},
  );
  expect(sim.resultType, JSON.stringify(sim)).not.toBe('error');
  return (sim as { overallResult: string }).overallResult;
}
