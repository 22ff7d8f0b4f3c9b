export interface BaseErrorOptions {
  /** Longer explanation for humans: what was wrong and how to fix it. */
  details?: string;
  /** The error that caused this one, if any. */
  cause?: unknown;
  /** Machine-readable facts about the failure (field names, limits, ids). */
  meta?: Record<string, unknown>;
}

/**
 * The one base of every verilay domain error (after viem's `BaseError`).
 *
 * `code` is stable and machine-readable (clients switch on it); `shortMessage` is one line for
 * humans; `details` says more. Only the apps map errors to transports (HTTP status, exit code).
 */
export abstract class BaseError extends Error {
  abstract readonly code: string;
  readonly shortMessage: string;
  readonly details?: string;
  readonly meta: Record<string, unknown>;
  override readonly cause?: unknown;

  constructor(shortMessage: string, options: BaseErrorOptions = {}) {
    super(options.details ? `${shortMessage}\n\nDetails: ${options.details}` : shortMessage);
    this.name = new.target.name;
    this.shortMessage = shortMessage;
    this.details = options.details;
    this.cause = options.cause;
    this.meta = options.meta ?? {};
  }
}
