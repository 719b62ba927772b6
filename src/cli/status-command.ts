// `keelson status <namespace>/<name>`: the KafkaCluster as Kubernetes holds it
// (conditions, brokers, the operation with its step, node and blocked reason,
// the last operation, backup and drill) beside what its workflow says now
// (generations seen and planned, paused, a pending request). Either half may
// be unreachable; the other is still shown. `--watch` prints it again at each
// change.
import { Client } from '@temporalio/client';
import { group, plural, version } from '../crd/kafka-cluster-names.ts';
import type { KafkaClusterStatus } from '../crd/kafka-cluster-status.ts';
import { clusterWorkflowId, stateQuery, type ClusterView } from '../workflows/messages.ts';
import { connectTemporal, type TemporalOptions } from './cluster-commands.ts';
import { renderOutput, type OutputFormat } from './output.ts';
import { operationTimeline } from './operation-timeline.ts';
import { writeFileSync } from 'node:fs';
import { KubeApi, resourcePath } from '../kubernetes/api.ts';
import { loadKubeConfig } from '../kubernetes/kube-config.ts';

export interface ClusterStatusReport {
  cluster: string;
  resource:
    { uid: string; generation: number; deleting: boolean; status: KafkaClusterStatus } | { error: string };
  workflow: ({ id: string } & Omit<ClusterView, 'lastDrill'>) | { id: string; error: string };
}

const errorText = (err: unknown): string => {
  const body = (err as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      const message = (JSON.parse(body) as { message?: string }).message;
      if (message) return message;
    } catch {
      // not JSON: fall through to the error's own message
    }
  }
  return err instanceof Error ? err.message : String(err);
};

async function readResource(
  api: KubeApi,
  namespace: string,
  name: string,
): Promise<ClusterStatusReport['resource']> {
  try {
    const object = await api.get<{
      metadata: { uid: string; generation?: number; deletionTimestamp?: string };
      status?: KafkaClusterStatus;
    }>(resourcePath(`${group}/${version}`, plural, namespace, name));
    return {
      uid: object.metadata.uid,
      generation: object.metadata.generation ?? 0,
      deleting: object.metadata.deletionTimestamp !== undefined,
      status: object.status ?? {},
    };
  } catch (err) {
    return { error: (err as { code?: number }).code === 404 ? 'no such KafkaCluster' : errorText(err) };
  }
}

async function readWorkflow(client: Client, id: string): Promise<ClusterStatusReport['workflow']> {
  try {
    // The last drill is in the resource's status; the workflow's copy would repeat it.
    const { lastDrill: _lastDrill, ...view } = await client.workflow.getHandle(id).query(stateQuery);
    return { id, ...view };
  } catch (err) {
    return { id, error: errorText(err) };
  }
}

const ago = (at: string | undefined, now: number): string => {
  if (!at) return '';
  const seconds = Math.max(0, Math.round((now - Date.parse(at)) / 1000));
  if (seconds < 120) return ` (${seconds} s ago)`;
  if (seconds < 7200) return ` (${Math.round(seconds / 60)} min ago)`;
  return ` (${Math.round(seconds / 3600)} h ago)`;
};

export function statusText(report: ClusterStatusReport, now = Date.now()): string {
  const lines = [`cluster:     ${report.cluster}`];
  const { resource, workflow } = report;
  if ('error' in resource) lines.push(`resource:    ${resource.error}`);
  else {
    const s = resource.status;
    lines.push(
      `uid:         ${resource.uid}${resource.deleting ? ' (being deleted)' : ''}`,
      `generation:  ${resource.generation}, observed ${s.observedGeneration ?? '-'}`,
      `brokers:     ${s.brokersReady ?? '-'} ready${s.kafkaVersion ? `, Kafka ${s.kafkaVersion}` : ''}`,
    );
    const op = s.currentOperation;
    lines.push(
      op
        ? `operation:   ${op.type}, step ${op.step}${op.node ? `, node ${op.node}` : ''}, since ${op.startedAt}${ago(op.startedAt, now)}${op.blockedReason ? `\n             blocked: ${op.blockedReason}` : ''}`
        : 'operation:   none',
    );
    const last = s.lastOperation;
    if (last)
      lines.push(
        `last:        ${last.type} ${last.result} at ${last.finishedAt}${last.message ? `: ${last.message}` : ''}`,
      );
    if (s.retry) lines.push(`retry:       attempt ${s.retry.attempt} at ${s.retry.at}: ${s.retry.reason}`);
    if (s.lastBackup)
      lines.push(
        `last backup: ${s.lastBackup.id} ${s.lastBackup.outcome} at ${s.lastBackup.finishedAt}${ago(s.lastBackup.finishedAt, now)}`,
      );
    if (s.lastDrill)
      lines.push(
        `last drill:  zone ${s.lastDrill.zone} ${s.lastDrill.outcome} at ${s.lastDrill.finishedAt}${s.lastDrill.message ? `: ${s.lastDrill.message}` : ''}`,
      );
    if (s.conditions?.length) {
      lines.push('conditions:');
      for (const c of s.conditions) lines.push(`  ${c.type} ${c.status} ${c.reason}: ${c.message}`);
    }
  }
  if ('error' in workflow) lines.push(`workflow:    ${workflow.id}: ${workflow.error}`);
  else {
    lines.push(
      `workflow:    ${workflow.id}, generation seen ${workflow.lastSeenGeneration}, planned ${workflow.lastPlannedGeneration}`,
      `paused:      ${workflow.paused ? 'yes' : 'no'}`,
    );
    if (workflow.operation)
      lines.push(`running:     ${workflow.operation.type} (${workflow.operation.workflowId})`);
    if (workflow.invalidSpec) lines.push(`invalid spec: ${workflow.invalidSpec}`);
    if (workflow.forcedRoll) lines.push(`roll asked:  ${workflow.forcedRoll.reason}`);
    if (workflow.drill)
      lines.push(
        `drill:       ${workflow.drill.running ? 'running' : 'waiting'}, zone ${workflow.drill.zone}`,
      );
  }
  return lines.join('\n');
}

async function drawOperation(
  client: Client,
  resource: ClusterStatusReport['resource'],
  file: string,
): Promise<void> {
  const status = 'error' in resource ? undefined : resource.status;
  const operation = status?.currentOperation ?? status?.lastOperation;
  if (!operation) throw new Error('no operation has run yet: nothing to draw');
  const events = (await client.workflow.getHandle(operation.workflowId).fetchHistory()).events ?? [];
  const { timelineSvg } = await import('./svg-charts.ts');
  const rows = operationTimeline(events);
  if (rows.length === 0)
    throw new Error(`operation ${operation.workflowId} ran no activity yet: nothing to draw`);
  const state = status?.currentOperation ? 'running' : (status?.lastOperation?.result ?? '');
  writeFileSync(file, timelineSvg(`${operation.type} ${operation.workflowId} (${state})`, rows));
}

export interface StatusOptions extends TemporalOptions {
  kubeconfig: string | undefined;
  output: OutputFormat;
  watch: boolean;
  /** How often --watch reads again. */
  intervalMs?: number;
  /** Draw the running (else the last) operation's activities as a timeline in this SVG file. */
  svg?: string | undefined;
}

/**
 * Prints the report (and with `watch`, again whenever it changes, until
 * interrupted). Fails, after printing, when neither half could be read.
 */
export async function clusterStatus(
  namespace: string,
  name: string,
  options: StatusOptions,
  print: (text: string) => void = (text) => console.log(text),
  signal?: AbortSignal,
): Promise<void> {
  const api = new KubeApi(loadKubeConfig(options.kubeconfig));
  const connection = await connectTemporal(options);
  try {
    const client = new Client({ connection, namespace: options.temporalNamespace });
    const id = clusterWorkflowId(namespace, name);
    let previous = '';
    for (;;) {
      const [resource, workflow] = await Promise.all([
        readResource(api, namespace, name),
        readWorkflow(client, id),
      ]);
      const report: ClusterStatusReport = { cluster: `${namespace}/${name}`, resource, workflow };
      // JSON and YAML stay one document per line or per `---`, for a script to follow.
      const rendered = renderOutput(options.output, report, (r) => statusText(r));
      if (!options.watch) {
        if ('error' in resource && 'error' in workflow) {
          throw new Error(`${namespace}/${name}: ${resource.error}; workflow ${id}: ${workflow.error}`);
        }
        if (options.svg) await drawOperation(client, resource, options.svg);
        print(rendered);
        return;
      }
      const comparable = JSON.stringify(report);
      if (comparable !== previous) {
        previous = comparable;
        if (options.output === 'json') print(JSON.stringify(report));
        else if (options.output === 'yaml') print(`---\n${rendered}`);
        else print(`--- ${new Date().toISOString()}\n${rendered}`);
      }
      if (signal?.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 2_000));
    }
  } finally {
    await connection.close();
  }
}
