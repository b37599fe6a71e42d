import type { IamCiAccess, IamFinding } from '../../model/finding.js';

/** A would-be denial as a CI finding's access and words. */
export function describeIam(f: IamFinding): { access: IamCiAccess; summary: string } {
  return {
    access: {
      action: f.access.action,
      resources: f.access.resource ? [f.access.resource] : [],
      events: f.access.events,
    },
    summary: f.access.action
      ? `${f.access.action} on ${f.access.resource} (${f.access.events.join(', ')})`
      : f.access.events.join(', '),
  };
}
