/** HTTP status of every machine-readable error code the API answers with. */
export const HTTP_STATUS_OF: Record<string, number> = {
  MALFORMED_JSON: 400,
  VALIDATION_FAILED: 400,
  PAYLOAD_TOO_LARGE: 413,
  TOO_MANY_CLAIMS: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  NOT_FOUND: 404,
  MODEL_NOT_FOUND: 404,
  CLAIM_NOT_FOUND: 404,
  TASK_INPUT_UNAVAILABLE: 404,
  DUPLICATE_CLAIM: 409,
  INVALID_MODEL: 422,
  INVALID_INPUT: 422,
  INVALID_FIELD_ELEMENT: 422,
  UNKNOWN_MODEL: 422,
  INVALID_SIGNATURE: 422,
  INPUT_COMMITMENT_MISMATCH: 422,
  OUTPUT_COMMITMENT_MISMATCH: 422,
  ILLEGAL_TRANSITION: 409,
  STALE_CLAIM_STATUS: 409,
  INTERNAL: 500,
};

export interface ErrorBody {
  error: { code: string; message: string; details?: string; meta?: Record<string, unknown> };
}
