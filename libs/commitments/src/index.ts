export { FIELD_MODULUS, isHex32, toHex32, type Hex32 } from './field';
export { InvalidFieldElementError } from './errors';
export { createNativeTensorCommitter } from './native-tensor-committer';
export {
  checkSalt,
  PACK_BITS,
  WORDS_PER_HASH,
  createJsTensorCommitter,
  createTensorCommitter,
  packTensor,
  type CommittedTensor,
  type TensorCommitter,
} from './tensor-commitment';
export { TRACE_LEAF_ENCODING, TraceTree, traceRoot } from './trace-commitment';
export { CLAIM_LEAF_FIELDS, claimLeaf, type ClaimLeafFields } from './claim-leaf';
export { BatchTree } from './batch-tree';
export { MAX_STATE_SLOTS, STATE_TAG, stateCommitmentInputs } from './state-commitment';
