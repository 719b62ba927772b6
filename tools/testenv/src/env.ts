// The description of a running test environment, written by `testenv up` to
// .testenv/env.json and read by tests, the demo and developers.
import { readFileSync } from 'node:fs';
import type { ObjectStore } from './object-store.ts';
import { envFile } from './paths.ts';

export interface TestEnv {
  startedAt: string;
  kubernetesVersion: string;
  kubeconfig: string;
  apiServerUrl: string;
  kubectl: string;
  temporal: { address: string; namespace: string; uiUrl: string; cli: string };
  kafkaVersions: string[];
  /** S3 endpoint and the keys of its one identity (new at every `up`). */
  objectStore: ObjectStore;
  nodeAgent: {
    pid: number;
    stateDir: string;
    nodes: { name: string; zone: string }[];
    storageClass: string;
    hostsFile: string;
    podLogs: string;
  };
}

export function readTestEnv(): TestEnv {
  try {
    return JSON.parse(readFileSync(envFile, 'utf8')) as TestEnv;
  } catch {
    throw new Error(`no test environment is running (${envFile} is missing): run "npm run testenv -- up"`);
  }
}
