// All of Keelson's activities, built from the clients they need, so the
// worker and integration tests pass real clients pointed at any cluster.
import type { KubeConfig } from '@kubernetes/client-node';
import { clusterStateActivities } from './kafka/cluster-state.ts';
import { metadataActivities } from './kafka/metadata.ts';
import { clusterActivities } from './kubernetes/cluster.ts';
import { objectActivities } from './kubernetes/objects.ts';
import { podActivities } from './kubernetes/pods.ts';

export function createActivities(deps: { kube: KubeConfig }) {
  return {
    ...clusterActivities(deps.kube),
    ...objectActivities(deps.kube),
    ...podActivities(deps.kube),
    ...metadataActivities(),
    ...clusterStateActivities(),
  };
}

export type Activities = ReturnType<typeof createActivities>;
