// What a backup and a restore both start from: the KafkaCluster as it is now,
// its spec.backup (the store to write to or read from) and its ready brokers
// (none ready is for the caller to report).
import type { ApplicationFailure } from '@temporalio/workflow';
import { proxyActivities } from '@temporalio/workflow';
import { kafkaAccess, operatorPort, specAtRecordedStage, type KafkaAccess } from '../domain/tls.ts';
import type { Activities } from '../activities/index.ts';
import type { KafkaClusterSpec } from '../crd/kafka-cluster.ts';
import type { ClusterRef } from '../domain/labels.ts';
import { readyBrokerAddresses } from '../domain/observed.ts';
import { quickCall } from './activity-options.ts';
import { failure } from '../domain/failures.ts';
import { specCheckOf } from './spec-check.ts';

const quick = proxyActivities<Activities>(quickCall);

export async function clusterWithBackupTarget(
  key: { namespace: string; name: string },
  /** What to tell the user when the spec has no backup section. */
  noBackup: string,
  /** Whether the cluster's ready brokers are needed (a restore drill only reads the source's spec). */
  { brokers }: { brokers: boolean } = { brokers: true },
): Promise<{
  cluster: ClusterRef;
  spec: KafkaClusterSpec;
  backup: NonNullable<KafkaClusterSpec['backup']>;
  bootstrap: KafkaAccess;
  /** The generation of the spec read (for conditions). */
  generation: number;
}> {
  const name = `KafkaCluster ${key.namespace}/${key.name}`;
  const snapshot = await quick.readCluster(key);
  if (!snapshot || snapshot.deleting) throw failure('ClusterGone', `${name} does not exist`);
  const checked = await specCheckOf(snapshot);
  if (!('spec' in checked)) throw failure('InvalidSpec', `${name} has an invalid spec`);
  const backup = checked.spec.backup;
  if (!backup) throw failure('InvalidSpec', `${name} ${noBackup}`);
  const cluster = { ...key, uid: snapshot.uid };
  const spec = specAtRecordedStage(checked.spec, snapshot.status?.securityStage);
  const bootstrap = kafkaAccess(
    cluster,
    spec,
    brokers
      ? readyBrokerAddresses(
          await quick.observeNodes({ namespace: key.namespace, cluster: key.name }),
          operatorPort(spec),
        )
      : [],
  );
  if (brokers && bootstrap.addresses.length === 0)
    throw failure('NoBrokerReady', `no broker of ${name} is ready`);
  return {
    cluster,
    spec: checked.spec,
    backup,
    bootstrap,
    generation: snapshot.generation,
  };
}

export const noBrokerReady = (key: { namespace: string; name: string }): ApplicationFailure =>
  failure('NoBrokerReady', `no broker of KafkaCluster ${key.namespace}/${key.name} is ready`);
