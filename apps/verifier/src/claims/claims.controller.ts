import { Body, Controller, Get, HttpCode, Param, Post, UseInterceptors } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { ClaimStatus } from '@verilay/protocol';
import type { ClaimRecord } from '@verilay/storage';
import { Hex32Param } from '../http/hex32.pipe';
import { ClaimCountInterceptor } from './claim-count.interceptor';
import { ClaimViewDto, SubmitClaimsResultDto } from './claim-view.dto';
import { SubmitClaimsDto } from './claim-submission.dto';
import { ClaimsService } from './claims.service';

const iso = (ms: number) => new Date(ms).toISOString();

function view({ claim, batch, history }: ClaimRecord) {
  const timestamps: Partial<Record<ClaimStatus, string>> = {};
  for (const h of history) timestamps[h.toStatus] = iso(h.at); // the latest time it entered each status
  return {
    claimId: claim.claimId,
    modelId: claim.modelId,
    taskId: claim.taskId,
    operator: claim.operator,
    inputCommitment: claim.inputCommitment,
    outputCommitment: claim.outputCommitment,
    traceRoot: claim.traceRoot,
    output: claim.output ? (JSON.parse(claim.output) as number[]) : null,
    generation: claim.generation
      ? (JSON.parse(claim.generation) as { promptLength: number; completionLength: number })
      : null,
    status: claim.status,
    reason: claim.reason,
    batch: batch
      ? {
          id: batch.id,
          root: batch.root,
          count: batch.count,
          // On chain the window opens when the batch is mined: unknown until then.
          windowEndsAt: batch.windowEndsAt >= Number.MAX_SAFE_INTEGER ? null : iso(batch.windowEndsAt),
          chainIndex: batch.chainIndex,
          postTx: batch.postTx,
        }
      : null,
    timestamps,
    history: history.map((h) => ({ from: h.fromStatus, to: h.toStatus, at: iso(h.at), reason: h.reason })),
  };
}

@ApiTags('claims')
@Controller('v1/claims')
export class ClaimsController {
  constructor(private readonly claims: ClaimsService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Submit one or many signed claims; all are stored durably before the answer, or none',
  })
  @ApiCreatedResponse({
    type: SubmitClaimsResultDto,
    description: 'The claim ids (claim leaves), in request order',
  })
  @ApiUnprocessableEntityResponse({
    description:
      'UNKNOWN_MODEL, INVALID_SIGNATURE, INPUT/OUTPUT_COMMITMENT_MISMATCH, INVALID_INPUT; generation claims: NOT_A_LANGUAGE_MODEL, CONTEXT_EXCEEDED, INVALID_GENERATION, COMPLETION_NOT_GREEDY; on a chain also TASK_INPUT_REQUIRED, MODEL_NOT_ON_CHAIN, OPERATOR_BOND_SHORT (meta.index names the claim)',
  })
  @ApiConflictResponse({ description: 'DUPLICATE_CLAIM' })
  @ApiBadRequestResponse({ description: 'MALFORMED_JSON, VALIDATION_FAILED' })
  @ApiPayloadTooLargeResponse({
    description:
      'PAYLOAD_TOO_LARGE (VERIFIER_BODY_LIMIT), TOO_MANY_CLAIMS (VERIFIER_MAX_CLAIMS_PER_REQUEST, checked before the fields), TOO_MANY_VALUES (VERIFIER_MAX_VALUES_PER_REQUEST)',
  })
  @UseInterceptors(ClaimCountInterceptor)
  async submit(@Body() body: SubmitClaimsDto) {
    return { claims: await this.claims.submit(body.claims) };
  }

  @Get(':claimId')
  @ApiOperation({
    summary:
      'A claim: status (submitted, posted, challenged, final, slashed), timestamps, reason (a held claim waits as submitted with a "held: …" reason), batch',
  })
  @ApiOkResponse({ type: ClaimViewDto, description: 'The claim and its history' })
  async get(@Param('claimId', Hex32Param) claimId: string) {
    return view(await this.claims.get(claimId));
  }
}
