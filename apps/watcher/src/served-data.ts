import type { BatchView, TaskInputView } from '@verilay/client';

/**
 * Shape checks of what the verifier serves, before anything is computed from it: a malformed
 * answer (`{"claims":null}`, a claim without its id, an input of strings) is one more wrong answer,
 * retried like a batch that does not match its root, never an exception on every pass (finding 6c).
 */
const HEX32 = /^0x[0-9a-fA-F]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const HEX = /^0x(?:[0-9a-fA-F]{2})*$/;
const CLAIM_FIELDS = ['claimId', 'modelId', 'taskId', 'inputCommitment', 'outputCommitment', 'traceRoot'];

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const matches = (v: unknown, pattern: RegExp) => typeof v === 'string' && pattern.test(v);

/** The served claims of a batch, or why they cannot be used. */
export function servedClaims(answer: unknown): BatchView['claims'] | string {
  if (!isObject(answer) || !Array.isArray(answer.claims)) return 'the answer has no list of claims';
  for (const [i, c] of answer.claims.entries()) {
    if (!isObject(c)) return `claim ${i} is not an object`;
    const bad = CLAIM_FIELDS.find((f) => !matches(c[f], HEX32));
    if (bad) return `claim ${i} has no 32-byte ${bad}`;
    if (!matches(c.operator, ADDRESS)) return `claim ${i} has no operator address`;
    if (!matches(c.signature, HEX)) return `claim ${i} has no hex signature`;
  }
  return answer.claims as BatchView['claims'];
}

/** A served task input (its values and salt), or why it cannot be used. */
export function servedInput(answer: unknown): Pick<TaskInputView, 'data' | 'salt'> | string {
  if (!isObject(answer) || !Array.isArray(answer.data)) return 'the answer has no input values';
  if (!answer.data.every((v) => Number.isSafeInteger(v))) return 'the input values are not all integers';
  if (answer.salt !== null && answer.salt !== undefined && !matches(answer.salt, /^0x[0-9a-fA-F]{1,64}$/))
    return 'the salt is not a hex field element';
  return { data: answer.data as number[], salt: (answer.salt ?? null) as `0x${string}` | null };
}
