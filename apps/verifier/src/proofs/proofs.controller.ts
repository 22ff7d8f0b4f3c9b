import { Body, Controller, Get, HttpCode, Param, ParseIntPipe, Post, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiTags,
} from '@nestjs/swagger';
import type { ProofJobEntity } from '@verilay/storage';
import { Matches } from 'class-validator';
import type { Response } from 'express';
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
  @ApiOperation({
    summary: "Request a Groth16 validity proof of a claim's inference (small models); 200 if one exists",
  })
  @ApiAcceptedResponse({ description: 'Queued; poll GET /v1/proofs/:proofId' })
  @ApiNotFoundResponse({ description: 'CLAIM_NOT_FOUND, TASK_INPUT_UNAVAILABLE' })
  async request(@Body() body: RequestProofDto, @Res({ passthrough: true }) res: Response) {
    const { job, created } = await this.proofs.request(body.claimId.toLowerCase());
    if (!created) res.status(200);
    return view(job);
  }

  @Get(':proofId')
  @ApiOperation({ summary: 'A proof job: queued, proving, proven (with verdict and proof) or failed' })
  @ApiOkResponse({ description: 'The job' })
  async get(@Param('proofId', ParseIntPipe) id: number) {
    return view(await this.proofs.get(id));
  }
}
