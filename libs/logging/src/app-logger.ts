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
 * An app's logger (`prefix`: verifier, watcher): format `json` gives JSON lines; text on a
 * terminal keeps Nest's colours and pretty objects; text anywhere else (a pipe, a file, a
 * container log) is `LineLogger`'s one uncoloured line per entry.
 */
export function createAppLogger(
  prefix: string,
  format: 'text' | 'json',
  tty = process.stdout.isTTY === true,
): ConsoleLogger {
  if (format === 'json') return new ConsoleLogger({ json: true, prefix });
  if (tty) return new ConsoleLogger({ prefix });
  return new LineLogger({ prefix, colors: false, compact: true });
}
