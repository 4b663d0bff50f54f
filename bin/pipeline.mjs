#!/usr/bin/env node
// The `pipeline` command. The project runs its TypeScript sources directly through tsx, so that a
// fresh clone needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
