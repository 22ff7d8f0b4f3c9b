#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { runDemo } from './commands/demo.command';
import { modelInfo } from './commands/model-info.command';

const integer = (min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new InvalidArgumentError(`must be an integer in [${min}, ${max}]`);
  return n;
};

const program = new Command()
  .name('verilay')
  .description('verilay: optimistic + zero-knowledge verification of AI inference results')
  .showHelpAfterError();

program
  .command('demo')
  .description(
    'Start a verifier on a fresh sqlite file, register the sample model, submit signed claims and follow them to final',
  )
  .option('--claims <n>', 'how many claims to submit', integer(1, 1000), 6)
  .option('--window-ms <ms>', 'challenge window', integer(1000, 600_000), 3000)
  .option('--model <file>', 'model document to use', undefined)
  .option('--db <file>', 'sqlite file (default: a fresh temporary file)')
  .action((opts) => runDemo(opts));

const model = program.command('model').description('Model files');
model
  .command('info <model-file>')
  .description('Layers, tensor shapes and bounds, parameter count and modelId of a model document')
  .action((file: string) => modelInfo(file));

program.parseAsync().catch((e: unknown) => {
  console.error(`verilay: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
