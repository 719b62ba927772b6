// `keelson status|pause|resume|roll|drill <namespace>/<name>`: talk to a
// cluster's workflow. Pause, resume, roll and drill start/abort are Temporal
// Updates, so a refusal (already paused, invalid spec, unknown zone, …) comes
// back at once as an error message and changes nothing.
import {
  temporalApiKey,
  temporalConnectionOptions,
  type TemporalTlsFiles,
} from '../operator/temporal-connection.ts';
import { Client, Connection, WorkflowUpdateFailedError } from '@temporalio/client';
import { parseClusterRef } from './arguments.ts';
import { renderOutput, type OutputFormat } from './output.ts';
import type { TimelineRow } from './svg-charts.ts';
import { writeFileSync } from 'node:fs';
import type { KafkaClusterStatus } from '../crd/kafka-cluster-status.ts';

type DrillReport = NonNullable<KafkaClusterStatus['lastDrill']>;
import {
  abortDrillUpdate,
  clusterWorkflowId,
  drillUpdate,
  pauseUpdate,
  resumeUpdate,
  rollUpdate,
  rotateCertificatesUpdate,
  stateQuery,
} from '../workflows/messages.ts';

export interface TemporalOptions {
  temporalAddress: string;
  temporalNamespace: string;
  temporalTls?: TemporalTlsFiles;
  temporalApiKeyFile?: string | undefined;
}

/** A connection to Temporal with the command's TLS and API key options, as the operator makes one. */
export const connectTemporal = (options: TemporalOptions): Promise<Connection> =>
  Connection.connect(
    temporalConnectionOptions({
      address: options.temporalAddress,
      tls: options.temporalTls,
      apiKey: temporalApiKey(options.temporalApiKeyFile, process.env.KEELSON_TEMPORAL_API_KEY),
    }),
  );

function drillText({
  drill,
  lastDrill: last,
}: {
  drill: { zone: string; holdMs: number; running: boolean } | null;
  lastDrill: DrillReport | null;
}): string {
  const current = drill
    ? `${drill.running ? 'running' : 'waiting'}: zone ${drill.zone}, hold ${Math.round(drill.holdMs / 1000)} s`
    : 'none';
  return [
    `drill:       ${current}`,
    ...(last
      ? [
          `last drill:  zone ${last.zone}, ${last.outcome}${last.message ? ` (${last.message})` : ''}, ${last.startedAt} → ${last.finishedAt}`,
          `             leaders evacuated in ${last.leaderEvacuationSeconds ?? '-'} s, recovered in ${last.recoverySeconds ?? '-'} s`,
          `             probes ${last.checks?.probes ?? 0}, failed ${last.checks?.failedProbes ?? 0}, most partitions offline ${last.checks?.maxOfflinePartitions ?? 0}`,
          ...last.steps.map(
            (s) => `             ${s.startedAt} ${s.name}${s.finishedAt ? '' : ' (not finished)'}`,
          ),
        ]
      : []),
  ].join('\n');
}

/** A drill report's steps as timeline rows: each step ends where it says, or where the next begins. */
export function drillTimeline(report: DrillReport): TimelineRow[] {
  const finished = Date.parse(report.finishedAt);
  return report.steps.map((step, i) => {
    const next = report.steps[i + 1];
    const end = step.finishedAt ? Date.parse(step.finishedAt) : next ? Date.parse(next.startedAt) : finished;
    return {
      label: step.name,
      start: Date.parse(step.startedAt),
      end: Math.max(end, Date.parse(step.startedAt)),
      ...(step.message ? { note: step.message.slice(0, 80) } : {}),
    };
  });
}

export async function runClusterCommand(
  command: 'pause' | 'resume' | 'roll' | 'certs rotate' | 'drill start' | 'drill abort' | 'drill status',
  ref: string | undefined,
  options: TemporalOptions & {
    reason?: string;
    zone?: string;
    hold?: string;
    ca?: boolean;
    output?: OutputFormat;
    /** drill status: also draw the last drill's steps as a timeline in this SVG file. */
    svg?: string;
  },
): Promise<string> {
  const { namespace, name } = parseClusterRef(ref);
  const connection = await connectTemporal(options);
  try {
    const client = new Client({ connection, namespace: options.temporalNamespace });
    const handle = client.workflow.getHandle(clusterWorkflowId(namespace, name));
    try {
      switch (command) {
        case 'pause':
          await handle.executeUpdate(pauseUpdate);
          return `${namespace}/${name}: paused; no new operation will start`;
        case 'resume':
          await handle.executeUpdate(resumeUpdate);
          return `${namespace}/${name}: resumed`;
        case 'roll':
          await handle.executeUpdate(rollUpdate, {
            args: [{ reason: options.reason ?? 'requested with keelson roll' }],
          });
          return `${namespace}/${name}: forced roll accepted; follow it with keelson status or in the Temporal UI`;
        case 'certs rotate':
          await handle.executeUpdate(rotateCertificatesUpdate, {
            args: [
              {
                reason: options.reason ?? `requested with keelson certs rotate${options.ca ? ' --ca' : ''}`,
                ...(options.ca ? { ca: true } : {}),
              },
            ],
          });
          return options.ca
            ? `${namespace}/${name}: cluster CA renewal accepted: three phases, each a safe roll (trust the new CA, issue every node certificate from it, drop the old CA); follow it in status.caRenewal, kubectl events or the Temporal UI`
            : `${namespace}/${name}: certificate rotation accepted: every node gets a new certificate and restarts with it in a safe roll; follow it with keelson status, kubectl events or in the Temporal UI`;
        case 'drill start': {
          if (!options.zone) throw new Error('--zone is required');
          const accepted = await handle.executeUpdate(drillUpdate, {
            args: [{ zone: options.zone, ...(options.hold ? { hold: options.hold } : {}) }],
          });
          return `${namespace}/${name}: drill of ${options.zone} accepted (hold ${Math.round(accepted.holdMs / 1000)} s); follow it with keelson drill status`;
        }
        case 'drill abort': {
          const { aborted } = await handle.executeUpdate(abortDrillUpdate);
          return aborted === 'running'
            ? `${namespace}/${name}: drill aborted; failing back`
            : `${namespace}/${name}: the waiting drill was dropped`;
        }
        case 'drill status': {
          const state = await handle.query(stateQuery);
          if (options.svg) {
            if (!state.lastDrill) throw new Error(`${namespace}/${name} has no drill report to draw yet`);
            const { timelineSvg } = await import('./svg-charts.ts');
            const report = state.lastDrill;
            writeFileSync(
              options.svg,
              timelineSvg(
                `Drill of ${report.zone} in ${namespace}/${name}: ${report.outcome}`,
                drillTimeline(report),
              ),
            );
          }
          return renderOutput(
            options.output ?? 'text',
            { drill: state.drill ?? null, lastDrill: state.lastDrill ?? null },
            drillText,
          );
        }
      }
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        throw new Error(`refused: ${err.cause?.message ?? err.message}`, { cause: err });
      }
      throw err;
    }
  } finally {
    await connection.close();
  }
}
