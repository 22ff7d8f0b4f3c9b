import { ConsoleLogger, type LogLevel } from '@nestjs/common';

/**
 * Text logs for a file or a log collector: one line per entry, no colour codes. Objects are printed
 * on one line (`compact`, no break length); line breaks inside a message or a stack are written
 * as `\n`, so a collector that splits on lines keeps each entry whole.
 */
export class LineLogger extends ConsoleLogger {
  protected override formatMessage(
    logLevel: LogLevel,
    message: unknown,
    pidMessage: string,
    formattedLogLevel: string,
    contextMessage: string,
    timestampDiff: string,
  ): string {
    const line = super.formatMessage(
      logLevel,
      message,
      pidMessage,
      formattedLogLevel,
      contextMessage,
      timestampDiff,
    );
    return `${oneLine(line.replace(/\n$/, ''))}\n`;
  }

  protected override printStackTrace(stack: string): void {
    if (stack) process.stderr.write(`${oneLine(stack)}\n`);
  }
}

const oneLine = (text: string) => text.replace(/\r?\n/g, '\\n');

/**
 * The verifier's logger: `VERIFIER_LOG_FORMAT=json` gives JSON lines; text on a terminal keeps
 * Nest's colours and pretty objects; text anywhere else (a pipe, a file, a container log) is
 * `LineLogger`'s one uncoloured line per entry.
 */
export function createVerifierLogger(
  format: 'text' | 'json',
  tty = process.stdout.isTTY === true,
): ConsoleLogger {
  if (format === 'json') return new ConsoleLogger({ json: true, prefix: 'verifier' });
  if (tty) return new ConsoleLogger({ prefix: 'verifier' });
  return new LineLogger({ prefix: 'verifier', colors: false, compact: true });
}
