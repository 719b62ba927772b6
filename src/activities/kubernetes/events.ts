// Kubernetes Events about a KafkaCluster (events.k8s.io/v1), so
// `kubectl describe kafkacluster` and `kubectl events` show what the operator
// did: regarding the KafkaCluster, related to the pod a step acted on. The
// event name derives from a key the workflow chooses, so a retried activity
// records one event, not two. Events are informational: a failure to record
// one is logged and never holds up or fails an operation.
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeApi, microTime, resourcePath } from '../../kubernetes/api.ts';
import { hostname } from 'node:os';
import { apiVersion, kind } from '../../crd/kafka-cluster.ts';
import { contentHash } from '../../domain/hash.ts';
import type { ClusterRef } from '../../domain/labels.ts';
import { log } from '@temporalio/activity';

export interface ClusterEvent {
  cluster: ClusterRef;
  /** Unique per event within the cluster, stable across retries (e.g. workflow id and step). */
  key: string;
  type: 'Normal' | 'Warning';
  /** UpperCamelCase, e.g. NodeRestarted. */
  reason: string;
  /** What the operator did or is doing, e.g. Restart. */
  action: string;
  note: string;
  /** The pod the event is about, if any. */
  pod?: string;
}

const reportingController = 'keelson.dev/operator';

export function eventActivities(kube: KubeConfig) {
  const api = new KubeApi(kube);
  return {
    async recordEvent(event: ClusterEvent): Promise<boolean> {
      const { cluster } = event;
      const name = `${cluster.name}.${contentHash(`${cluster.uid}/${event.key}`)}`;
      const regarding = {
        apiVersion,
        kind,
        name: cluster.name,
        namespace: cluster.namespace,
        uid: cluster.uid,
      };
      const related = event.pod
        ? { apiVersion: 'v1', kind: 'Pod', name: event.pod, namespace: cluster.namespace }
        : undefined;
      try {
        await api.create(resourcePath('events.k8s.io/v1', 'events', cluster.namespace), {
          apiVersion: 'events.k8s.io/v1',
          kind: 'Event',
          metadata: { name, namespace: cluster.namespace },
          eventTime: microTime(new Date()),
          reportingController,
          reportingInstance: `${reportingController}/${hostname()}`.slice(0, 128),
          type: event.type,
          reason: event.reason,
          action: event.action,
          note: event.note.slice(0, 1024),
          regarding,
          ...(related ? { related } : {}),
        });
      } catch (err) {
        // 409: this event exists already (a retry after a lost response).
        if ((err as { code?: number }).code === 409) return true;
        log.warn('could not record an event', {
          cluster: cluster.name,
          namespace: cluster.namespace,
          reason: event.reason,
          error: String((err as { body?: unknown }).body ?? err),
        });
        return false;
      }
      return true;
    },
  };
}
