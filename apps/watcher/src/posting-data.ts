import type { ClaimFields } from '@verilay/protocol';

/**
 * What the watcher keeps about a wrong claim as posted in one batch: all it needs to dispute it
 * and to play the dispute, so a verifier that stops serving the data cannot stop the watcher.
 */
export interface PostingData {
  readonly claim: ClaimFields;
  readonly signature: `0x${string}`;
  readonly inclusionProof: readonly `0x${string}`[];
  readonly input: readonly number[];
  /** Input commitment salt, hex. */
  readonly salt: `0x${string}`;
}

export function encodePosting(data: PostingData): string {
  return JSON.stringify(data);
}

export function decodePosting(json: string): PostingData {
  return JSON.parse(json) as PostingData;
}
