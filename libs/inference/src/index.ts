export { DTYPES, INT32_MAX, isDType, type DType, type DTypeInfo } from './dtype';
export type {
  ArgMaxLayer,
  Conv2dLayer,
  DenseLayer,
  ElementwiseLayer,
  EmbeddingLayer,
  FlattenLayer,
  ChannelRequantize,
  FusedRequantize,
  Requantization,
  Layer,
  LayerOp,
  LayerV1,
  LiveSlot,
  LoadLayer,
  MatmulLayer,
  MergeHeadsLayer,
  Model,
  ModelFormat,
  ModelInput,
  ModelSpec,
  PolyGateLayer,
  PoolLayer,
  ReluLayer,
  RequantizeLayer,
  RmsNormLayer,
  LayerNormLayer,
  RopeLayer,
  SlotLayer,
  SoftmaxLayer,
  SplitHeadsLayer,
  StoreLayer,
  TensorInfo,
} from './model';
export { ComputeBudgetExceededError, InvalidInputError, InvalidModelError } from './errors';
export {
  DEFAULT_COMPUTE_BUDGET,
  DEFAULT_V2_COMPUTE_BUDGET,
  modelCost,
  type ComputeBudget,
  type LoadOptions,
  type ModelCost,
} from './compute-budget';
export {
  MAX_POOL_WINDOW,
  MAX_REQUANT_SHIFT,
  MAX_TENSOR_SIZE,
  MODEL_FORMAT_V1,
  MODEL_FORMAT_V2,
} from './analyze-model';
export {
  MAX_LIVE_SLOTS,
  MAX_POLY_CLIP,
  MAX_POLY_VALUE,
  MAX_RMSNORM_EPS,
  MAX_SLOT,
  MAX_SOFTMAX_FRAC_BITS,
  MAX_SOFTMAX_TABLE,
  isqrt,
} from './analyze-transformer';
export { MODEL_FORMAT, buildModel, modelToJson, parseModel } from './parse-model';
export { parameterCount } from './parameter-count';
export {
  computeModelId,
  decodeModel,
  encodeModel,
  MODEL_MEDIA_TYPE,
  modelIdOfBytes,
} from './canonical-model';
export { readModelFile } from './read-model-file';
export {
  channelAxis,
  channelScale,
  isPerChannel,
  quantizeMultiplier,
  requantizeTensor,
  requantizeValue,
  type FixedPointMultiplier,
  type RequantizeScale,
} from './requantize';
export { run, toInputTensor, type RunResult } from './run';
export { JsModelRunner, ModelRunner, NativeModelRunner, modelRunner } from './model-runner';
export { tensorSize, type Tensor } from './tensor';
export {
  randomArchitecture,
  randomInput,
  randomModel,
  splitmix32,
  type RandomModelOptions,
} from './random-model';
export { randomTransformer, type RandomTransformerOptions } from './random-transformer';
export {
  crossCheck,
  crossCheckInputs,
  crossCheckModel,
  nativeHandle,
  type CrossCheckTally,
} from './gpu-cross-check';
