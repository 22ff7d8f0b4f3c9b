import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { modelToJson, parameterCount, type Model } from '@verilay/inference';
import type { Response } from 'express';
import { RequireScope } from '../http/api-key.guard';
import { Hex32Param } from '../http/hex32.pipe';
import { ModelsService } from './models.service';

const summary = (modelId: string, model: Model) => ({
  modelId,
  name: model.name,
  input: model.input,
  output: { shape: model.tensors.at(-1)!.shape, dtype: model.tensors.at(-1)!.dtype },
  layers: model.layers.length,
  parameters: parameterCount(model),
});

@ApiTags('models')
@Controller('v1/models')
export class ModelsController {
  constructor(private readonly models: ModelsService) {}

  @Post()
  @HttpCode(201)
  @RequireScope('models:write')
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Register a model (body: the model document of docs/model-format.md); API key with models:write',
  })
  @ApiUnauthorizedResponse({ description: 'UNAUTHENTICATED: no API key, or not a valid one' })
  @ApiForbiddenResponse({ description: 'INSUFFICIENT_SCOPE: the key lacks models:write' })
  @ApiTooManyRequestsResponse({ description: 'RATE_LIMITED (Retry-After)' })
  @ApiBody({ schema: { type: 'object', description: 'verilay.model.v1 document' } })
  @ApiCreatedResponse({ description: 'Registered; 200 when it was already registered' })
  @ApiUnprocessableEntityResponse({ description: 'INVALID_MODEL, with meta.path naming the field' })
  async register(@Body() document: unknown, @Res({ passthrough: true }) res: Response) {
    const { modelId, created, model } = await this.models.register(document);
    if (!created) res.status(200);
    return { ...summary(modelId, model), created };
  }

  @Get(':modelId')
  @ApiOperation({ summary: 'A registered model: summary and full document' })
  @ApiOkResponse({ description: 'The model' })
  async get(@Param('modelId', Hex32Param) modelId: string) {
    const model = await this.models.get(modelId);
    return { ...summary(modelId, model), document: modelToJson(model) };
  }
}
