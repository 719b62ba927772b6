// Carries out operations asked for with annotations (src/domain/
// annotation-requests.ts) as the same Updates the keelson CLI sends, then
// acknowledges each on the resource: the value acted on and the outcome
// ("accepted", or "refused: <why>"), so it is acted on once.
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeApi, resourcePath } from '../kubernetes/api.ts';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { group, plural, version } from '../crd/kafka-cluster-names.ts';
import { contentHash } from '../domain/hash.ts';
import {
  acknowledgement,
  acknowledgedAnnotation,
  annotationOf,
  pendingRequests,
  resultAnnotation,
  type AnnotationRequest,
} from '../domain/annotation-requests.ts';
import {
  abortDrillUpdate,
  backupUpdate,
  clusterWorkflowId,
  drillUpdate,
  pauseUpdate,
  resumeUpdate,
  rollUpdate,
  rotateCertificatesUpdate,
} from '../workflows/messages.ts';
import type { ClusterObject } from './kafka-cluster-watch.ts';

export class AnnotationHandler {
  readonly #client: Client;
  readonly #api: KubeApi;
  requestsHandled = 0;

  constructor(client: Client, kube: KubeConfig) {
    this.#client = client;
    this.#api = new KubeApi(kube);
  }

  /**
   * Carries out each pending request and acknowledges it. A request whose
   * acknowledgement fails is carried out again at the next event or relist;
   * its Update has the same id each time, so the workflow acts on it once.
   */
  async handle(cluster: ClusterObject): Promise<{ request: AnnotationRequest; result: string }[]> {
    const done: { request: AnnotationRequest; result: string }[] = [];
    for (const request of pendingRequests(cluster.annotations)) {
      const result = await this.#run(cluster, request);
      const annotation = annotationOf(request);
      await this.#api.mergePatch(
        resourcePath(`${group}/${version}`, plural, cluster.namespace, cluster.name),
        {
          metadata: {
            annotations: {
              [acknowledgedAnnotation(annotation)]: acknowledgement(request.value),
              [resultAnnotation(annotation)]: result.slice(0, 1000),
            },
          },
        },
      );
      this.requestsHandled++;
      done.push({ request, result });
    }
    return done;
  }

  async #run(cluster: ClusterObject, request: AnnotationRequest): Promise<string> {
    if (request.kind === 'invalid') return `refused: ${request.message}`;
    const handle = this.#client.workflow.getHandle(clusterWorkflowId(cluster.namespace, cluster.name));
    // The same request of the same incarnation always has the same id: Temporal runs an Update id once.
    const updateId = `annotation/${annotationOf(request)}/${cluster.uid}/${contentHash(request.value)}`;
    try {
      switch (request.kind) {
        case 'roll':
          await handle.executeUpdate(rollUpdate, {
            updateId,
            args: [{ reason: `annotation keelson.dev/roll=${request.value}` }],
          });
          break;
        case 'rotate-certs':
          await handle.executeUpdate(rotateCertificatesUpdate, {
            updateId,
            args: [
              {
                reason: `annotation keelson.dev/rotate-certs=${request.value}`,
                ...(request.value.startsWith('ca:') ? { ca: true } : {}),
              },
            ],
          });
          break;
        case 'pause':
          await handle.executeUpdate(pauseUpdate, { updateId });
          break;
        case 'backup':
          await handle.executeUpdate(backupUpdate, { updateId });
          break;
        case 'resume':
          await handle.executeUpdate(resumeUpdate, { updateId });
          break;
        case 'drill':
          await handle.executeUpdate(drillUpdate, {
            updateId,
            args: [{ zone: request.zone, ...(request.hold ? { hold: request.hold } : {}) }],
          });
          break;
        case 'abort-drill':
          await handle.executeUpdate(abortDrillUpdate, { updateId });
          break;
      }
      return 'accepted';
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) return `refused: ${err.cause?.message ?? err.message}`;
      return `failed: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
}
