export {
  encodeRaw,
  ONNX_ELEMENT_CODES,
  OnnxGraphBuilder,
  type OnnxAttributeValue,
  type OnnxElementType,
} from './onnx-graph-builder';
export {
  importOnnx,
  type OnnxImportOptions,
  type OnnxImportResult,
  type QuantizationParams,
} from './import-onnx';
export { OnnxImportError, type OnnxNodeRef } from './onnx-import.error';
