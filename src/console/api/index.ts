// Every API route of the console, in one table the server matches requests against.
import type { Route } from '../context.js';
import { connectionRoutes } from './connections.js';
import { connectorRoutes } from './connectors.js';
import { pipelineRoutes } from './pipelines.js';
import { runRoutes } from './runs.js';
import { scheduleRoutes } from './schedules.js';
import { sessionRoutes } from './session.js';
import { syncRoutes } from './syncs.js';

export const routes: readonly Route[] = [
  ...sessionRoutes,
  ...connectorRoutes,
  ...connectionRoutes,
  ...syncRoutes,
  ...scheduleRoutes,
  ...runRoutes,
  ...pipelineRoutes,
];
