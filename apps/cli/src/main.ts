#!/usr/bin/env node
import { createProgram } from './program';

createProgram()
  .parseAsync()
  .catch((e: unknown) => {
    console.error(`verilay: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
