export { DTYPES, INT32_MAX, isDType, type DType, type DTypeInfo } from './dtype';
export type {
  ArgMaxLayer,
  Conv2dLayer,
  DenseLayer,
  FlattenLayer,
  Layer,
  LayerOp,
  Model,
  ModelSpec,
  PoolLayer,
  ReluLayer,
  RequantizeLayer,
  TensorInfo,
} from './model';
export { ComputeBudgetExceededError, InvalidInputError, InvalidModelError } from './errors';
export {
  DEFAULT_COMPUTE_BUDGET,
  modelCost,
  type ComputeBudget,
  type LoadOptions,
  type ModelCost,
} from './compute-budget';
export { MAX_POOL_WINDOW, MAX_REQUANT_SHIFT, MAX_TENSOR_SIZE } from './analyze-model';
export { MODEL_FORMAT, buildModel, modelToJson, parseModel } from './parse-model';
export { parameterCount } from './parameter-count';
export { computeModelId, decodeModel, encodeModel } from './canonical-model';
export { quantizeMultiplier, requantizeValue, type FixedPointMultiplier } from './requantize';
export { run, toInputTensor, type RunResult } from './run';
export { tensorSize, type Tensor } from './tensor';
export {
  randomArchitecture,
  randomInput,
  randomModel,
  splitmix32,
  type RandomModelOptions,
} from './random-model';
