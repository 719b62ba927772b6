// Leader election on a coordination.k8s.io Lease, the way client-go does it:
// a candidate takes the Lease when it is free or when its holder has not
// renewed it for a lease duration, as measured on the candidate's own clock
// from when it last saw the record change (so clocks need not agree); the
// leader renews it every retry period and steps down when it could not renew
// within the renew deadline. Updates carry the resourceVersion they read, so
// two candidates can never both win. A leader that stops gracefully gives
// the Lease up at once. Only the watcher runs under the Lease: a second
// watcher signalling too would be harmless (signals are idempotent), but
// would double the API traffic.
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeApi, microTime, resourcePath } from '../kubernetes/api.ts';
import { sleep } from '../watch/list-watch.ts';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  /** How long a Lease holds without renewal. @default 15 */
  leaseSeconds?: number;
  /** A leader that could not renew for this long steps down. @default 10 */
  renewDeadlineSeconds?: number;
  /** Between attempts to acquire or renew. @default 2 */
  retrySeconds?: number;
  onChange?: (leading: boolean, holder: string | undefined) => void;
  /** Why the Lease cannot be read or written (not: held by another), or undefined once it can. */
  onProblem?: (problem: string | undefined) => void;
}

/** A coordination.k8s.io/v1 Lease, as the API server sends it. */
interface Lease {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

export const missingLeaseNamespace = (namespace: string): string =>
  `cannot hold the leader Lease: the namespace "${namespace}" does not exist; create it (kubectl create namespace ${namespace}), or set --lease-namespace (KEELSON_LEASE_NAMESPACE) to the operator's namespace, or --no-leader-elect for a single watcher`;

export class LeaderElector {
  readonly #api: KubeApi;
  readonly #options: Required<Omit<LeaderElectionOptions, 'onChange' | 'onProblem'>> &
    Pick<LeaderElectionOptions, 'onChange' | 'onProblem'>;
  /** The record as last seen, and when (local clock) it last changed. */
  #observed: { holder: string | undefined; renewTime: string | undefined; at: number } | undefined;

  constructor(kube: KubeConfig, options: LeaderElectionOptions) {
    this.#api = new KubeApi(kube);
    this.#options = { leaseSeconds: 15, renewDeadlineSeconds: 10, retrySeconds: 2, ...options };
  }

  /**
   * Runs until `signal` aborts: waits to acquire the Lease, then runs `lead`
   * with a signal that aborts when leadership is lost (or on shutdown), and
   * starts over if it was lost.
   */
  async run(signal: AbortSignal, lead: (lost: AbortSignal) => Promise<void>): Promise<void> {
    const { retrySeconds, renewDeadlineSeconds } = this.#options;
    while (!signal.aborted) {
      if (!(await this.#tryAcquireOrRenew())) {
        await sleep(retrySeconds * 1000, signal);
        continue;
      }
      this.#options.onChange?.(true, this.#options.identity);
      const lost = new AbortController();
      const stopLeading = () => lost.abort();
      signal.addEventListener('abort', stopLeading, { once: true });
      const leading = lead(lost.signal).catch(() => undefined);
      let lastRenew = Date.now();
      while (!lost.signal.aborted) {
        await sleep(retrySeconds * 1000, lost.signal);
        if (lost.signal.aborted) break;
        if (await this.#tryAcquireOrRenew()) lastRenew = Date.now();
        else if (Date.now() - lastRenew > renewDeadlineSeconds * 1000) lost.abort();
      }
      signal.removeEventListener('abort', stopLeading);
      await leading;
      this.#options.onChange?.(false, undefined);
      if (signal.aborted) await this.#release();
    }
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity, leaseSeconds } = this.#options;
    const now = new Date();
    const path = resourcePath('coordination.k8s.io/v1', 'leases', namespace, name);
    let lease: Lease | undefined;
    try {
      lease = await this.#api.get<Lease>(path);
    } catch (err) {
      if ((err as { code?: number }).code !== 404) return this.#failed('read', err);
    }
    const spec = {
      holderIdentity: identity,
      leaseDurationSeconds: leaseSeconds,
      renewTime: microTime(now),
    };
    try {
      if (lease === undefined) {
        await this.#api.create(resourcePath('coordination.k8s.io/v1', 'leases', namespace), {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: { ...spec, acquireTime: spec.renewTime, leaseTransitions: 0 },
        });
        this.#options.onProblem?.(undefined);
        return true;
      }
      const holder = lease.spec?.holderIdentity ?? undefined;
      const renewTime = lease.spec?.renewTime;
      const previous = this.#observed;
      const observed =
        previous && previous.holder === holder && previous.renewTime === renewTime
          ? previous
          : { holder, renewTime, at: Date.now() };
      this.#observed = observed;
      const duration = (lease.spec?.leaseDurationSeconds ?? leaseSeconds) * 1000;
      const held = holder !== undefined && holder !== '' && holder !== identity;
      this.#options.onProblem?.(undefined);
      if (held && observed.at + duration > Date.now()) return false;
      await this.#api.replace(path, {
        ...lease,
        spec: {
          ...lease.spec,
          ...spec,
          ...(holder === identity
            ? {}
            : {
                acquireTime: spec.renewTime,
                leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + 1,
              }),
        },
      });
      return true;
    } catch (err) {
      // A conflict is another candidate winning: not a problem. Anything else is said, and retried.
      return (err as { code?: number }).code === 409 ? false : this.#failed(lease ? 'renew' : 'create', err);
    }
  }

  #failed(action: 'read' | 'create' | 'renew', err: unknown): false {
    const { namespace, name } = this.#options;
    const code = (err as { code?: number }).code;
    const body = String((err as { body?: unknown }).body ?? '');
    const problem =
      code === 404 && /namespaces? .*not found/i.test(body)
        ? missingLeaseNamespace(namespace)
        : code === 403
          ? `may not ${action} the leader Lease ${namespace}/${name} (403): bind the chart's Role in "${namespace}", or set --lease-namespace (KEELSON_LEASE_NAMESPACE)`
          : `cannot ${action} the leader Lease ${namespace}/${name}: ${err instanceof Error ? err.message : String(err)}`;
    this.#options.onProblem?.(problem);
    return false;
  }

  /** Gives the Lease up so that another candidate takes over at once. */
  async #release(): Promise<void> {
    const { namespace, name, identity } = this.#options;
    try {
      const path = resourcePath('coordination.k8s.io/v1', 'leases', namespace, name);
      const lease = await this.#api.get<Lease>(path);
      if (lease.spec?.holderIdentity !== identity) return;
      await this.#api.replace(path, {
        ...lease,
        spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 },
      });
    } catch {
      // it expires on its own
    }
  }
}
