export {
  encodeRaw,
  ONNX_ELEMENT_CODES,
  OnnxGraphBuilder,
  type OnnxAttributeValue,
  type OnnxElementType,
} from './onnx-graph-builder';
