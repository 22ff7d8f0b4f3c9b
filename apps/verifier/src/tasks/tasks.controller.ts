import { Controller, Get, Param } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ClaimRepository } from '@verilay/storage';
import { ClaimsService } from '../claims/claims.service';
import { Hex32Param } from '../http/hex32.pipe';
import { NotFoundError } from '../http/not-found.error';
import { ModelsService } from '../models/models.service';
import { TaskInputViewDto } from './task-input-view.dto';

@ApiTags('tasks')
@Controller('v1/tasks')
export class TasksController {
  constructor(
    private readonly claims: ClaimsService,
    private readonly repository: ClaimRepository,
    private readonly models: ModelsService,
  ) {}

  @Get(':claimId/input')
  @ApiOperation({
    summary: "The task data a watcher needs to replay a claim (check it against the claim's inputCommitment)",
  })
  @ApiOkResponse({ type: TaskInputViewDto, description: 'Input values, salt, shape and dtype' })
  @ApiNotFoundResponse({
    description: 'CLAIM_NOT_FOUND, or TASK_INPUT_UNAVAILABLE when the operator sent only the commitment',
  })
  async input(@Param('claimId', Hex32Param) claimId: string) {
    const { claim } = await this.claims.get(claimId);
    const input = await this.repository.findTaskInput(claimId);
    if (!input)
      throw new NotFoundError('TASK_INPUT_UNAVAILABLE', `The operator of ${claimId} submitted no task data`);
    const model = await this.models.get(claim.modelId);
    return {
      claimId,
      modelId: claim.modelId,
      inputCommitment: claim.inputCommitment,
      shape: model.input.shape,
      dtype: model.input.dtype,
      data: JSON.parse(input.data) as number[],
      salt: input.salt,
    };
  }
}
