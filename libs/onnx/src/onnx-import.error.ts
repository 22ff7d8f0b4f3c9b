import { BaseError } from '@verilay/errors';

/** The ONNX node an import problem is about; `null` for the graph as a whole. */
export interface OnnxNodeRef {
  readonly name: string;
  readonly op: string;
}

/**
 * An ONNX model uses something verilay cannot reproduce exactly with its integer layers, or is
 * malformed. The message names the node and its op; `meta` carries them for tools.
 */
export class OnnxImportError extends BaseError {
  readonly code = 'ONNX_UNSUPPORTED';
  constructor(
    node: OnnxNodeRef | null,
    problem: string,
    options: { details?: string; cause?: unknown } = {},
  ) {
    super(`Unsupported ONNX: ${node ? `node "${node.name}" (${node.op})` : 'graph'}: ${problem}`, {
      ...options,
      meta: { node: node?.name ?? null, op: node?.op ?? null },
    });
  }
}
