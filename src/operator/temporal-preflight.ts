// Before the worker polls or the watcher starts workflows: Temporal is
// reachable, its namespace exists, and it knows the search attributes every
// Keelson workflow sets (without them each workflow task fails). Missing
// attributes are registered when allowed; otherwise the problem names the
// command an administrator runs. Each step retries until it passes.
import type { Logger } from 'pino';
import { searchAttributes } from '../workflows/search-attributes.ts';
import type { ProblemBoard } from './problems.ts';
import { sleep } from '../watch/list-watch.ts';

const retryMs = 5_000;
/** temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD */
const indexedValueTypeKeyword = 2;
const grpc = { notFound: 5, permissionDenied: 7, unimplemented: 12 };
const codeOf = (err: unknown): number | undefined => (err as { code?: number }).code;
const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Connects, retrying while Temporal cannot be reached. Undefined when stopped first. */
export async function connectWithRetry<C>(
  connect: () => Promise<C>,
  address: string,
  problems: ProblemBoard,
  stop: AbortSignal,
): Promise<C | undefined> {
  while (!stop.aborted) {
    try {
      const connection = await connect();
      problems.set('temporal', undefined);
      return connection;
    } catch (err) {
      problems.set(
        'temporal',
        `cannot reach Temporal at ${address}: ${messageOf(err)}; check --temporal-address (KEELSON_TEMPORAL_ADDRESS), the --temporal-tls-* options and that the frontend is up; retrying every ${retryMs / 1000} s`,
      );
      await sleep(retryMs, stop);
    }
  }
  return undefined;
}

interface TemporalServices {
  workflowService: {
    describeNamespace(request: { namespace: string }): Promise<unknown>;
  };
  operatorService: {
    listSearchAttributes(request: {
      namespace: string;
    }): Promise<{ customAttributes?: Record<string, unknown> | null }>;
    addSearchAttributes(request: {
      namespace: string;
      searchAttributes: Record<string, number>;
    }): Promise<unknown>;
  };
}

export const searchAttributeCommand = (namespace: string, missing: readonly string[]): string =>
  `temporal operator search-attribute create --namespace ${namespace} ${missing
    .map((name) => `--name ${name} --type Keyword`)
    .join(' ')}`;

/** One look: the problem with the namespace or its search attributes, or undefined when ready. */
export async function temporalNamespaceProblem(
  services: TemporalServices,
  namespace: string,
  register: boolean,
  log: Logger,
): Promise<string | undefined> {
  try {
    await services.workflowService.describeNamespace({ namespace });
  } catch (err) {
    if (codeOf(err) === grpc.notFound)
      return `the Temporal namespace "${namespace}" does not exist: create it (temporal operator namespace create --namespace ${namespace}) or set --temporal-namespace (KEELSON_TEMPORAL_NAMESPACE)`;
    return `cannot describe the Temporal namespace "${namespace}": ${messageOf(err)}`;
  }
  let known: Set<string>;
  try {
    const listed = await services.operatorService.listSearchAttributes({ namespace });
    known = new Set(Object.keys(listed.customAttributes ?? {}));
  } catch (err) {
    // Temporal Cloud answers this only to account admins: trust the install docs then.
    if (codeOf(err) === grpc.permissionDenied || codeOf(err) === grpc.unimplemented) {
      log.warn(
        { err: messageOf(err) },
        `cannot list the search attributes of "${namespace}"; they must exist: ${searchAttributeCommand(namespace, names)}`,
      );
      return undefined;
    }
    return `cannot list the search attributes of the Temporal namespace "${namespace}": ${messageOf(err)}`;
  }
  const missing = names.filter((name) => !known.has(name));
  if (missing.length === 0) return undefined;
  const command = searchAttributeCommand(namespace, missing);
  if (!register)
    return `the Temporal namespace "${namespace}" lacks the search attributes ${missing.join(', ')} that every Keelson workflow sets; run: ${command}`;
  try {
    await services.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((name) => [name, indexedValueTypeKeyword])),
    });
    log.info({ namespace, searchAttributes: missing }, 'registered the search attributes');
    return undefined;
  } catch (err) {
    return `cannot register the search attributes ${missing.join(', ')} in "${namespace}" (${messageOf(err)}); an administrator runs: ${command}`;
  }
}

const names = Object.values(searchAttributes).map((a) => a.name);

/** Waits until the namespace and its search attributes are there. False when stopped first. */
export async function awaitTemporalNamespace(
  services: TemporalServices,
  namespace: string,
  register: boolean,
  problems: ProblemBoard,
  log: Logger,
  stop: AbortSignal,
): Promise<boolean> {
  while (!stop.aborted) {
    const problem = await temporalNamespaceProblem(services, namespace, register, log);
    problems.set('temporal-namespace', problem);
    if (problem === undefined) return true;
    await sleep(retryMs, stop);
  }
  return false;
}
