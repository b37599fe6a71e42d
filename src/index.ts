/**
 * audit2policy as a library: the pipeline the CLI runs, as typed functions.
 *
 *   ingest (logs → Profile) → mergeProfiles / filterProfile → generateAll (Profile → Generated per kind;
 *   runKinds over a ProfileSource for a profile file too large to hold, each file to a sink as it is made)
 *   → verifyAll (replay the Profile against policies; verifySource reads a profile file once, principal by
 *   principal) / diffPolicies / runCheck / backtest → buildReport
 *
 * Every command of the CLI is one of these calls followed by a formatter; see docs/design.md.
 */

// Ingest: logs → profile.
export { ingest, type IngestOptions, type IngestResult } from './ingest/index.js';
export { Scope, defaultScope, type ScopeOptions } from './profile/scope.js';
export { loadInventory } from './inventory/load.js';
export type { Inventory } from './inventory/inventory.js';

// Profile: the normal-behaviour graph as a file.
export { mergeProfiles } from './profile/merge.js';
export { filterProfile, filterStream } from './profile/filter.js';
export { mapProfile, NameMap } from './profile/nameMap.js';
export { readProfile, parseProfile, openProfile, serializeProfile } from './profile/io.js';
export { checkProfile } from './profile/schema.js';
export type { ProfileStream } from './profile/read.js';
export { mergeStreams } from './profile/mergeStream.js';
export { profileLines, type ProfileParts } from './profile/write.js';
export { PROFILE_API_VERSION, type Profile, type Principal, type K8sEdge, type AwsEdge } from './model/profile.js';
export type { Evidence } from './model/evidence.js';
export type { InputIssue } from './model/issue.js';
export { InputError, UsageError } from './model/issue.js';

// Generate and verify, per policy kind.
export {
  KINDS,
  KIND_NAMES,
  generateAll,
  allKinds,
  generateKinds,
  runKinds,
  sourceOf,
  defaultWidenings,
  readAllPolicies,
  verifyAll,
  verifySource,
  policyIssues,
} from './kinds/index.js';
export type {
  FileSink,
  Generated,
  KindEvidence,
  KindName,
  KindPolicies,
  KindReplay,
  KindWidening,
  Made,
  PolicyKind,
  ProfileSource,
  SummaryLine,
} from './kinds/index.js';
export { loadPolicyDocs, type PolicyDoc } from './policy/load.js';
export type { VerifyReport, Finding } from './model/finding.js';

// Diff and the drift gate.
export {
  diffPolicies,
  checkPolicies,
  loadSide,
  type CiReport,
  type CiFinding,
  type CompareOptions,
  type PolicySide,
} from './diff/index.js';
export { runCheck } from './diff/check.js';

// Writing output.
export { writeTree, writeFileAtomic, OutputConflictError, type TreeFiles } from './emit/writeTree.js';

// The reviewer's report.
export { buildReport } from './report/model.js';
export { renderHtml, renderMarkdown } from './report/render.js';
