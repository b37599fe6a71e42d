import type { WorkloadInfo } from '../../src/model/network.js';

/** A Deployment `shop/web` as flow labels give it (a fresh object each time), with `over` in place. */
export function shopWeb(over: Partial<WorkloadInfo> = {}): WorkloadInfo {
  return {
    namespace: 'shop',
    name: 'web',
    kind: 'Deployment',
    selector: { app: 'web' },
    labels: { app: 'web' },
    ports: [],
    hostNetwork: false,
    source: 'flow-labels',
    ...over,
  };
}
