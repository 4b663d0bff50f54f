// Links into the Temporal Web UI, for whatever prints or shows a run: the demo's summary, the console.
// Plain string building: no Temporal SDK import, so a caller does not pay for one.

/** Web UI page of one workflow run (of its latest run without a run id). */
export function workflowUrl(uiUrl: string, namespace: string, workflowId: string, runId?: string): string {
  const base = `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${runId}/history` : base;
}

/** Web UI list filtered by a visibility query. */
export function workflowListUrl(uiUrl: string, namespace: string, query: string): string {
  return `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows?query=${encodeURIComponent(query)}`;
}

/** Whether a Web UI answers at `url` (a dev server's UI on :8233 may or may not be up). */
export async function webUiAnswers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_500) });
    return res.ok;
  } catch {
    return false;
  }
}
