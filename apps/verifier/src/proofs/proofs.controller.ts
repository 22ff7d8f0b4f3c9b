import { Body, Controller, Get, HttpCode, Param, ParseIntPipe, Post, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiServiceUnavailableResponse,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiTags,
} from '@nestjs/swagger';
import type { ProofJobEntity } from '@verilay/storage';
import { Matches } from 'class-validator';
import type { Response } from 'express';
import { RequireScope } from '../http/api-key.guard';
import { ProofViewDto } from './proof-view.dto';
import { ProofsService } from './proofs.service';

export class RequestProofDto {
  @ApiProperty({ description: 'The claim whose inference to prove (its task input must be stored)' })
  @Matches(/^0x[0-9a-fA-F]{64}$/, { message: '$property must be 32 bytes of 0x-hex' })
  claimId!: `0x${string}`;
}

const view = (job: ProofJobEntity) => ({
  proofId: job.id,
  claimId: job.claimId,
  status: job.status,
  verdict: job.verdict,
  error: job.error,
  proof: job.result ? (JSON.parse(job.result) as unknown) : null,
  createdAt: new Date(job.createdAt).toISOString(),
  updatedAt: new Date(job.updatedAt).toISOString(),
});

@ApiTags('proofs')
@Controller('v1/proofs')
export class ProofsController {
  constructor(private readonly proofs: ProofsService) {}

  @Post()
  @HttpCode(202)
  @RequireScope('proofs:write')
  @ApiBearerAuth()
  @ApiOperation({
    summary:
      "Request a Groth16 validity proof of a claim's inference (small models); 200 if one exists; API key with proofs:write",
  })
  @ApiUnauthorizedResponse({ description: 'UNAUTHENTICATED: no API key, or not a valid one' })
  @ApiForbiddenResponse({ description: 'INSUFFICIENT_SCOPE: the key lacks proofs:write' })
  @ApiUnprocessableEntityResponse({
    description: 'MODEL_NOT_PROVABLE: on a chain, the model has no whole-inference verifier registered',
  })
  @ApiTooManyRequestsResponse({ description: 'RATE_LIMITED (Retry-After)' })
  @ApiServiceUnavailableResponse({
    description:
      'PROOF_QUEUE_FULL: VERIFIER_MAX_OPEN_PROOFS jobs are queued or proving (circuit builds run one at a time)',
  })
  @ApiAcceptedResponse({ type: ProofViewDto, description: 'Queued; poll GET /v1/proofs/:proofId' })
  @ApiOkResponse({ type: ProofViewDto, description: 'The open or proven job of this claim' })
  @ApiNotFoundResponse({ description: 'CLAIM_NOT_FOUND, TASK_INPUT_UNAVAILABLE' })
  async request(@Body() body: RequestProofDto, @Res({ passthrough: true }) res: Response) {
    const { job, created } = await this.proofs.request(body.claimId.toLowerCase());
    if (!created) res.status(200);
    return view(job);
  }

  @Get(':proofId')
  @ApiOperation({ summary: 'A proof job: queued, proving, proven (with verdict and proof) or failed' })
  @ApiOkResponse({ type: ProofViewDto, description: 'The job' })
  async get(@Param('proofId', ParseIntPipe) id: number) {
    return view(await this.proofs.get(id));
  }
}
