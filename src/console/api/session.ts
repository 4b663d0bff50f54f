// GET /api/session: what the page needs to know about this console before it renders anything
// (and the first request that proves its token).
import { secretBoxFromEnv } from '../../connections/secret-box.js';
import type { Route } from '../context.js';

export const sessionRoutes: Route[] = [
  {
    method: 'GET',
    path: /^\/api\/session$/,
    async handle({ deps }) {
      let inlineSecrets = false;
      try {
        inlineSecrets = secretBoxFromEnv() !== null;
      } catch {
        // unusable keys: inline secrets are refused by the store, with the reason
      }
      return {
        namespace: deps.settings.namespace,
        uiUrl: deps.uiUrl,
        sandbox: deps.sandbox,
        inlineSecrets,
      };
    },
  },
];
