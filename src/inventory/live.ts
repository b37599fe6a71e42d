import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { InputIssue } from '../model/issue.js';
import { canonicalInventory, emptyInventory, type Inventory } from './inventory.js';
import { addObject } from './objects.js';
import { InputError } from '../model/issue.js';
import { limitedRequest, NetworkRead, networkLimits, type NetworkLimits } from '../util/network.js';

/** The kinds a snapshot holds, and how to list each across all namespaces. */
const LISTS: { kind: string; api: 'core' | 'apps' | 'batch'; method: string }[] = [
  { kind: 'Namespace', api: 'core', method: 'listNamespace' },
  { kind: 'Node', api: 'core', method: 'listNode' },
  { kind: 'Pod', api: 'core', method: 'listPodForAllNamespaces' },
  { kind: 'Service', api: 'core', method: 'listServiceForAllNamespaces' },
  { kind: 'ReplicaSet', api: 'apps', method: 'listReplicaSetForAllNamespaces' },
  { kind: 'Deployment', api: 'apps', method: 'listDeploymentForAllNamespaces' },
  { kind: 'StatefulSet', api: 'apps', method: 'listStatefulSetForAllNamespaces' },
  { kind: 'DaemonSet', api: 'apps', method: 'listDaemonSetForAllNamespaces' },
  { kind: 'Job', api: 'batch', method: 'listJobForAllNamespaces' },
  { kind: 'CronJob', api: 'batch', method: 'listCronJobForAllNamespaces' },
];

const API_VERSION: Record<string, string> = { core: 'v1', apps: 'apps/v1', batch: 'batch/v1' };

export interface LiveOptions {
  /** A kubeconfig context; the current one when absent. */
  context?: string;
  /** A kubeconfig file; otherwise $KUBECONFIG or ~/.kube/config, as kubectl finds it. */
  kubeconfig?: string;
  /** Objects per page. */
  pageSize?: number;
  /** Timeouts, deadline and size cap (util/network.ts); the defaults when absent. */
  limits?: NetworkLimits;
}

type K8s = typeof import('@kubernetes/client-node');

/**
 * A list page as the server sent it, before the client's models see it (they read a string of items as a list of
 * its characters): a JSON object, its items a list of objects, no more of them than the limit asked for, and its
 * continue token a string.
 */
function checkListPage(read: NetworkRead, url: URL, body: Buffer): void {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    throw read.fail(`a malformed page (page ${read.pages + 1}): not JSON`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw read.fail(`a malformed page (page ${read.pages + 1}): not a JSON object`);
  const page = doc as { items?: unknown; metadata?: { continue?: unknown } };
  read.checkPage(page.items, Number(url.searchParams.get('limit') ?? Infinity), 'items');
  const next = page.metadata?.continue;
  if (next !== undefined && next !== null && typeof next !== 'string')
    throw read.fail(`a malformed page (page ${read.pages + 1}): metadata.continue is a ${typeof next}, not a string`);
}

/**
 * The client's HTTP library (its `httpApi`), making each request under the read's limits instead of through
 * node-fetch, which has no idle timeout and buffers any body whole. The kubeconfig's authentication still sets
 * the headers and the TLS agent of each request before it comes here.
 */
function limitedHttpApi(k8s: K8s, read: NetworkRead) {
  return {
    send(req: InstanceType<K8s['RequestContext']>) {
      const body = req.getBody() as unknown;
      const answer = limitedRequest(read, {
        url: new URL(req.getUrl()),
        method: String(req.getHttpMethod()),
        headers: req.getHeaders(),
        ...(typeof body === 'string' ? { body } : {}),
        ...(req.getAgent() ? { agent: req.getAgent() as import('node:http').Agent } : {}),
      }).then((res) => {
        if (res.status >= 200 && res.status < 300) checkListPage(read, new URL(req.getUrl()), res.body);
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers))
          if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
        return new k8s.ResponseContext(res.status, headers, {
          text: async () => res.body.toString('utf8'),
          binary: async () => res.body,
        });
      });
      return new k8s.Observable(answer);
    },
  };
}

/**
 * Read the cluster's objects through @kubernetes/client-node (loaded only here: it is slow to
 * import), page by page. Returns the objects as a `v1/List` (kinds and apiVersions set, as `kubectl
 * get -o json` writes them), so a snapshot is read back by `--inventory` exactly as the live read.
 */
export async function readLiveObjects(
  opts: LiveOptions,
): Promise<{ apiVersion: 'v1'; kind: 'List'; items: Record<string, unknown>[] }> {
  const config = kubeconfigProblem(opts.kubeconfig, process.env, homedir());
  if (config) throw new InputError(config);
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
  else kc.loadFromDefault();
  const server = kc.getCurrentCluster()?.server ?? '';
  if (opts.context) {
    if (!kc.getContexts().some((c) => c.name === opts.context))
      throw new InputError(`no context "${opts.context}" in the kubeconfig`);
    kc.setCurrentContext(opts.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new InputError('the kubeconfig names no cluster for its current context');
  const read = new NetworkRead(opts.limits ?? networkLimits());
  // As kc.makeApiClient does, with the limited HTTP library.
  const configuration = k8s.createConfiguration({
    baseServer: new k8s.ServerConfiguration(cluster.server, {}),
    authMethods: { default: kc },
    httpApi: limitedHttpApi(k8s, read),
  });
  const apis = {
    core: new k8s.CoreV1Api(configuration),
    apps: new k8s.AppsV1Api(configuration),
    batch: new k8s.BatchV1Api(configuration),
  };
  const limit = opts.pageSize ?? 500;
  const items: Record<string, unknown>[] = [];
  try {
    for (const l of LISTS) {
      const api = apis[l.api] as unknown as Record<
        string,
        (p: Record<string, unknown>) => Promise<{ items: unknown; metadata?: { _continue?: unknown } }>
      >;
      let cont: string | undefined;
      const tokens = new Set<string>();
      do {
        read.check();
        const page = await api[l.method]!.call(apis[l.api], { limit, ...(cont ? { _continue: cont } : {}) }).catch(
          (e: unknown) => {
            if (read.failure || read.signal.aborted) throw read.explain(e);
            throw new InputError(reachProblem(e, server, l.kind));
          },
        );
        // Checked as sent (checkListPage), and again as the client's models hold it.
        const got = read.checkPage(page?.items, limit, 'items');
        const next = page.metadata?._continue;
        if (next !== undefined && next !== null && typeof next !== 'string')
          throw read.fail(
            `a malformed page (page ${read.pages + 1}): metadata.continue is a ${typeof next}, not a string`,
          );
        read.pages++;
        for (const item of got) {
          // Back to plain data: the client's model objects name every field read here as the API does
          // (checked against their attribute maps); dates become strings again.
          const plain = JSON.parse(JSON.stringify(item)) as Record<string, unknown>;
          items.push({ apiVersion: API_VERSION[l.api], kind: l.kind, ...plain });
        }
        cont = next || undefined;
        if (cont !== undefined && tokens.has(cont))
          throw read.fail(`the server returned a continue token it had already given, after ${read.pages} pages`);
        if (cont !== undefined) tokens.add(cont);
      } while (cont);
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`listing objects from ${server}: ${read.explain(e).message}`);
  } finally {
    read.close();
  }
  return { apiVersion: 'v1', kind: 'List', items };
}

/**
 * Why no kubeconfig can be read, in kubectl's terms, or undefined: an explicit file that is not there,
 * or neither $KUBECONFIG nor ~/.kube/config (and not inside a pod) — where the client would otherwise
 * fall back to http://localhost:8080 and fail with a TLS message no one can act on.
 */
export function kubeconfigProblem(
  explicit: string | undefined,
  env: Record<string, string | undefined>,
  home: string,
): string | undefined {
  if (explicit) return existsSync(explicit) ? undefined : `--kubeconfig ${explicit}: no such file`;
  const listed = (env['KUBECONFIG'] ?? '').split(delimiter).filter(Boolean);
  if (listed.length) {
    if (listed.some((f) => existsSync(f))) return undefined;
    return `KUBECONFIG names no file that exists (${listed.join(delimiter)})`;
  }
  if (existsSync(join(home, '.kube', 'config')) || env['KUBERNETES_SERVICE_HOST']) return undefined;
  return (
    'no kubeconfig: $KUBECONFIG is not set and ~/.kube/config does not exist (give --kubeconfig FILE, or ' +
    'snapshot the objects where kubectl works and pass them with --inventory)'
  );
}

/** A failed list call in the words kubectl uses: the server it could not reach, or what it refused. */
function reachProblem(e: unknown, server: string, kind: string): string {
  const err = e as { code?: string; cause?: { code?: string }; message?: string };
  const code = err.code ?? err.cause?.code;
  const status = (e as { code?: unknown }).code;
  if (code === 'ECONNREFUSED')
    return `the connection to the server ${server} was refused: did you specify the right host or port? (kubectl cluster-info)`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return `cannot resolve the server ${server}: check the kubeconfig's cluster`;
  if (code === 'ETIMEDOUT' || code === 'ECONNRESET') return `cannot reach the server ${server} (${code})`;
  if (status === 401) return `the server ${server} asked for credentials (401): the kubeconfig's user is not accepted`;
  if (status === 403)
    return `the server ${server} refused to list ${kind} objects (403): the identity needs list on them`;
  return `listing ${kind} objects from ${server}: ${err.message ?? String(e)}`;
}

export async function readLiveInventory(opts: LiveOptions): Promise<{ inventory: Inventory; issues: InputIssue[] }> {
  const list = await readLiveObjects(opts);
  const inv = emptyInventory();
  const issues: InputIssue[] = [];
  addObject(inv, list, { file: 'cluster', line: 1 }, issues);
  return { inventory: canonicalInventory(inv), issues };
}
