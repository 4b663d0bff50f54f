// The console's page: plain files under public/, shipped with the package, no build step. Served by
// an allow-list made at start from the folder's own listing: a request names an entry of that list
// or gets a 404, so no part of a URL is ever joined into a filesystem path.
import { readdir, readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export interface Asset {
  file: string;
  contentType: string;
}

/** URL path -> file, for every file of a served type in public/ ("/" is the page itself). */
export async function loadAssets(dir = PUBLIC_DIR): Promise<Map<string, Asset>> {
  const assets = new Map<string, Asset>();
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const contentType = CONTENT_TYPES[extname(entry.name)];
    if (!entry.isFile() || !contentType || entry.name.startsWith('.')) continue;
    assets.set(`/${entry.name}`, { file: `${dir}${entry.name}`, contentType });
  }
  const index = assets.get('/index.html');
  if (!index) throw new Error(`The console's page is missing: no index.html in ${dir}`);
  assets.set('/', index);
  return assets;
}

export function readAsset(asset: Asset): Promise<Buffer> {
  return readFile(asset.file);
}
