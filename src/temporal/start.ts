// Starting a pipeline workflow with its search attributes, tolerating a cluster where they are not
// registered (syncs still run; the Web UI just cannot filter them by connector).
import type { Client, WorkflowStartOptions } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { ConnectionIdKey, ConnectorIdKey, PipelineIdKey, PipelineKindKey, type PipelineKind } from './search-attributes.js';

let searchAttributesUnavailable = false;

/** The message of an error and of its causes (the client wraps the server's reason). */
export function errorText(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error && parts.length < 5; e = (e as Error & { cause?: unknown }).cause) parts.push(e.message);
  return parts.join(' | ');
}

export async function startPipelineWorkflow<T extends Workflow>(
  client: Client,
  workflowType: string,
  options: WorkflowStartOptions<T>,
  visibility: { connectorId: string; connectionId: string; kind: PipelineKind; pipelineId?: string },
) {
  const withAttributes = {
    ...options,
    typedSearchAttributes: [
      { key: ConnectorIdKey, value: visibility.connectorId },
      { key: ConnectionIdKey, value: visibility.connectionId },
      { key: PipelineKindKey, value: visibility.kind },
      ...(visibility.pipelineId ? [{ key: PipelineIdKey, value: visibility.pipelineId }] : []),
    ],
  } as WorkflowStartOptions<T>;
  if (searchAttributesUnavailable) return client.workflow.start<T>(workflowType, options);
  try {
    return await client.workflow.start<T>(workflowType, withAttributes);
  } catch (err) {
    if (/search attribute/i.test(errorText(err))) {
      searchAttributesUnavailable = true;
      return client.workflow.start<T>(workflowType, options);
    }
    throw err;
  }
}
