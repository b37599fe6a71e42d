import type { K8sAccess } from './access.js';
import type { Stage } from './evidence.js';
import type { InputIssue } from './issue.js';

/**
 * Whether the request passed authorization. `undecided` is a record that cannot say
 * (a RequestReceived stage carries neither a decision annotation nor a response code).
 */
export type Decision = 'allow' | 'deny' | 'undecided';

/** One Kubernetes API request record, normalised. Nothing after ingest reads raw audit JSON. */
export interface K8sRequestObservation {
  kind: 'k8s-request';
  /** The effective user: impersonatedUser when present, else user. */
  username: string;
  groups: string[];
  access: K8sAccess;
  decision: Decision;
  stage: Stage;
  /** Normalised RFC 3339 UTC time with microseconds; '' when the record had none. */
  time: string;
  /** auditID. */
  id: string;
}

/** Everything ingest yields: observations of any source, and issues. Later slices add CloudTrail and flows. */
export type Observation = K8sRequestObservation;
export type IngestItem = Observation | InputIssue;
