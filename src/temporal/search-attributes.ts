// Custom search attributes, so that the Web UI and `temporal workflow list --query` can find runs by
// connector and connection. The dev server this project starts registers them (--search-attribute).
import { defineSearchAttributeKey } from '@temporalio/common';

export const ConnectorIdKey = defineSearchAttributeKey('ConnectorId', 'KEYWORD');
export const ConnectionIdKey = defineSearchAttributeKey('ConnectionId', 'KEYWORD');
/** pull | send | reverse_etl */
export const PipelineKindKey = defineSearchAttributeKey('PipelineKind', 'KEYWORD');

export const SEARCH_ATTRIBUTE_KEYS = [ConnectorIdKey, ConnectionIdKey, PipelineKindKey] as const;

/** `scheduled_pull`: a schedule's run, which starts (or skips) the stream's `pull` workflow. */
export type PipelineKind = 'pull' | 'scheduled_pull' | 'send' | 'reverse_etl' | 'pipeline';
