#!/usr/bin/env node
// fluxnet launcher: plain ESM that registers tsx, then hands the command line to the TypeScript CLI.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../test-infra/cli/main.ts', import.meta.url).href);
