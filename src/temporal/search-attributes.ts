// Custom search attributes, so that the Web UI and `temporal workflow list --query` can find runs by
// connector and connection. The dev server this project starts registers them (--search-attribute).
import { defineSearchAttributeKey } from '@temporalio/common';

export const ConnectorIdKey = defineSearchAttributeKey('ConnectorId', 'KEYWORD');
export const ConnectionIdKey = defineSearchAttributeKey('ConnectionId', 'KEYWORD');
/** pull | scheduled_pull | send | reverse_etl | pipeline | scheduled_pipeline */
export const PipelineKindKey = defineSearchAttributeKey('PipelineKind', 'KEYWORD');
/** The pipeline a run belongs to (its runs, replays and scheduled runs); ConnectorId/ConnectionId are its destination's. */
export const PipelineIdKey = defineSearchAttributeKey('PipelineId', 'KEYWORD');

export const SEARCH_ATTRIBUTE_KEYS = [ConnectorIdKey, ConnectionIdKey, PipelineKindKey, PipelineIdKey] as const;

/** `scheduled_pull` / `scheduled_pipeline`: a schedule's run, which starts (or skips) the stream's pull or the pipeline's run. */
export type PipelineKind = 'pull' | 'scheduled_pull' | 'send' | 'reverse_etl' | 'pipeline' | 'scheduled_pipeline';
