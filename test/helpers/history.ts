// Searching a workflow history for text. JSON.stringify alone would miss plaintext: protobuf's
// toJSON writes payload bytes as base64, so every byte field is decoded as UTF-8 as well.
export function historyText(history: unknown): string {
  const parts: string[] = [JSON.stringify(history)];
  const walk = (node: unknown): void => {
    if (node instanceof Uint8Array) parts.push(Buffer.from(node).toString('utf8'));
    else if (typeof node === 'string') parts.push(node);
    else if (node && typeof node === 'object') for (const v of Object.values(node)) walk(v);
  };
  walk(history);
  return parts.join('\n');
}
