// Diagnostic: where the time of one page goes, from the event timestamps of a sync's history.
// Usage: tsx bench/history-gaps.ts <workflowId> [address]
import { Client, Connection } from '@temporalio/client';

const [workflowId, address = '127.0.0.1:7233'] = process.argv.slice(2);
const connection = await Connection.connect({ address });
const client = new Client({ connection });
const history = await client.workflow.getHandle(workflowId!).fetchHistory();
const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;
const gaps = new Map<string, number[]>();
let prev: { type: string; t: number } | null = null;
for (const e of history.events ?? []) {
  const type = String(e.eventType);
  const t = ms(e.eventTime as never);
  if (prev) {
    const key = `${prev.type} -> ${type}`;
    gaps.set(key, [...(gaps.get(key) ?? []), t - prev.t]);
  }
  prev = { type, t };
}
for (const [k, v] of gaps) {
  const sorted = [...v].sort((a, b) => a - b);
  console.log(`${k.padEnd(40)} n=${String(v.length).padStart(4)} median=${sorted[Math.floor(v.length / 2)]!.toFixed(1)}ms p90=${sorted[Math.floor(v.length * 0.9)]!.toFixed(1)}ms`);
}
await connection.close();
