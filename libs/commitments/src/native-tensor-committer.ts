import { DTYPES } from '@verilay/inference';
import { mapNativeError, NativeError, type NativeAddon } from '@verilay/native';
import { types } from 'node:util';
import { checkSalt, packTensor, type CommittedTensor, type TensorCommitter } from './tensor-commitment';
import type { Hex32 } from './field';
import { stateCommitmentInputs } from './state-commitment';

/**
 * The native adapter of the tensor committer: packing and Poseidon in Rust
 * (native/crates/poseidon), one call per tensor. An Int32Array (every trace tensor) crosses
 * without a copy; other arrays cross as doubles and are checked in Rust.
 */
export function createNativeTensorCommitter(addon: NativeAddon): TensorCommitter {
  return {
    native: true,
    packTensor,
    stateCommitment(current: Hex32, liveSlotCommitments: readonly Hex32[]): Hex32 {
      const inputs = stateCommitmentInputs(current, liveSlotCommitments);
      if (inputs === null) return current;
      const words = inputs.map((v) => Buffer.from(v.toString(16).padStart(64, '0'), 'hex'));
      try {
        return `0x${addon.poseidonHash(Buffer.concat(words)).toString('hex')}`;
      } catch (error) {
        throw mapNativeError(error);
      }
    },
    commitTensor(tensor: CommittedTensor, salt = 0n): Hex32 {
      checkSalt(salt);
      const code = DTYPES[tensor.dtype]?.code;
      // An unknown dtype: the JavaScript path's own error.
      if (code === undefined) packTensor(tensor);
      const saltBytes = salt === 0n ? null : Buffer.from(salt.toString(16).padStart(64, '0'), 'hex');
      const { data } = tensor;
      try {
        // types.isInt32Array, not instanceof: trace tensors may come from another realm (the addon's).
        return (
          types.isInt32Array(data)
            ? addon.commitTensorI32(code, data, saltBytes)
            : addon.commitTensorF64(code, Float64Array.from(data), saltBytes)
        ) as Hex32;
      } catch (error) {
        const mapped = mapNativeError(error);
        // A value outside the dtype: throw exactly what the JavaScript path throws for it.
        if (mapped instanceof NativeError && mapped.nativeCode === 'TENSOR_VALUE') packTensor(tensor);
        throw mapped;
      }
    },
  };
}
