/** One line for a log: a viem or verilay error's short message, else the message, else the value. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return (error as { shortMessage?: string }).shortMessage ?? error.message;
  return String(error);
}
