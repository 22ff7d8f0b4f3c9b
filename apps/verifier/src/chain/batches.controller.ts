import { Controller, Get, Param, ParseIntPipe } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ClaimRepository } from '@verilay/storage';
import { NotFoundError } from '../http/not-found.error';
import { BatchViewDto } from './chain-view.dto';

/**
 * The data behind an on-chain batch: every claim with its operator's signature, so anyone can
 * rebuild the batch's Merkle tree, check it against the root on chain, and dispute a claim.
 */
@ApiTags('chain')
@Controller('v1/batches')
export class BatchesController {
  constructor(private readonly claims: ClaimRepository) {}

  @Get(':chainIndex')
  @ApiOperation({ summary: 'The claims (with signatures) of the batch at this index of the claim contract' })
  @ApiOkResponse({ type: BatchViewDto, description: 'chainIndex, root, count, postTx, claims' })
  @ApiNotFoundResponse({ description: 'BATCH_NOT_FOUND' })
  async get(@Param('chainIndex', ParseIntPipe) chainIndex: number) {
    const batch = await this.claims.findBatchByChainIndex(chainIndex);
    if (!batch)
      throw new NotFoundError('BATCH_NOT_FOUND', `No batch of this verifier at index ${chainIndex}`);
    const claims = await this.claims.claimsOfBatch(batch.id);
    return {
      chainIndex,
      root: batch.root,
      count: batch.count,
      postTx: batch.postTx,
      claims: claims.map((c) => ({
        claimId: c.claimId,
        modelId: c.modelId,
        taskId: c.taskId,
        inputCommitment: c.inputCommitment,
        outputCommitment: c.outputCommitment,
        traceRoot: c.traceRoot,
        operator: c.operator,
        signature: c.signature,
      })),
    };
  }
}
