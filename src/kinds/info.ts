import { iamInfo } from './iam/info.js';
import { netpolInfo } from './netpol/info.js';
import { rbacInfo } from './rbac/info.js';
import type { AnyKindInfo, KindName } from './types.js';

/**
 * Every kind's name, help and options, in the registry's order (./index.ts), without its generator and evaluator:
 * what the command line is built from, so that a command loads a kind's code only when it runs (ADR 0017).
 */
export const KIND_INFO: Record<KindName, AnyKindInfo> = { rbac: rbacInfo, iam: iamInfo, netpol: netpolInfo };

export const KIND_NAMES = Object.keys(KIND_INFO) as KindName[];
