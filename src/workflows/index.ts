// The worker's workflowsPath: every workflow Keelson runs.
export { kafkaClusterWorkflow } from './kafka-cluster.ts';
export { provisionWorkflow } from './provision.ts';
export { rollWorkflow } from './roll.ts';
export { configureWorkflow } from './configure.ts';
export { metadataVersionWorkflow } from './metadata-version.ts';
export { repairWorkflow } from './repair.ts';
export { expandVolumesWorkflow } from './expand-volumes.ts';
export { rollPermitsWorkflow } from './roll-permits.ts';
export { scaleDownWorkflow, scaleUpWorkflow } from './scale.ts';
export { drillWorkflow } from './drill.ts';
export { zoneFailoverWorkflow } from './zone-failover.ts';
export { teardownWorkflow } from './teardown.ts';
export { backupWorkflow } from './backup.ts';
export { restoreWorkflow } from './restore.ts';
export { restoreDrillWorkflow } from './restore-drill.ts';
export { kafkaUsersWorkflow } from './kafka-users.ts';
export { kafkaTopicsWorkflow } from './kafka-topics.ts';
