// The worker's workflowsPath: every workflow Keelson runs.
export { kafkaClusterWorkflow } from './kafka-cluster.ts';
export { provisionWorkflow } from './provision.ts';
export { rollWorkflow } from './roll.ts';
