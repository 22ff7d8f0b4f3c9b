import { Body, Controller, Get, HttpCode, HttpException, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiServiceUnavailableResponse,
  ApiQuery,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { MODEL_MEDIA_TYPE, modelToJson, parameterCount, type Model } from '@verilay/inference';
import type { Request, Response } from 'express';
import { VerifierConfig } from '../config/verifier.config';
import { RequireScope } from '../http/api-key.guard';
import { Hex32Param } from '../http/hex32.pipe';
import { readModelBody } from './model-body';
import { ModelViewDto, RegisteredModelDto } from './model-view.dto';
import { ModelsService } from './models.service';

/**
 * Models whose canonical bytes are over this are not served as a JSON document (an LLM's would be
 * hundreds of MB of JSON, past V8's longest string): `document` is null, the bytes are served as
 * application/vnd.verilay.model.
 */
export const MAX_JSON_MODEL_BYTES = 4 * 1024 * 1024;

/**
 * Model bodies read, decoded and stored at once: each may hold a few times VERIFIER_MODEL_BODY_LIMIT
 * in memory (the bytes, the decoded weights, the re-encoded bytes), so one more is refused with 503
 * MODEL_UPLOADS_BUSY before any of it is read, however many requests the admin rate limit allows.
 */
export const MAX_MODEL_UPLOADS = 2;

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
  private uploads = 0;

  constructor(
    private readonly models: ModelsService,
    private readonly config: VerifierConfig,
  ) {}

  @Post()
  @HttpCode(201)
  @RequireScope('models:write')
  @ApiBearerAuth()
  @ApiOperation({
    summary:
      'Register a model: its JSON document, or its canonical bytes as application/vnd.verilay.model ' +
      '(docs/model-format.md; for models too big for JSON, up to VERIFIER_MODEL_BODY_LIMIT); API key with models:write',
  })
  @ApiQuery({ name: 'name', required: false, description: 'The name of a model sent as canonical bytes' })
  @ApiPayloadTooLargeResponse({ description: 'PAYLOAD_TOO_LARGE: over VERIFIER_BODY_LIMIT or VERIFIER_MODEL_BODY_LIMIT' })
  @ApiUnauthorizedResponse({ description: 'UNAUTHENTICATED: no API key, or not a valid one' })
  @ApiForbiddenResponse({ description: 'INSUFFICIENT_SCOPE: the key lacks models:write' })
  @ApiTooManyRequestsResponse({ description: 'RATE_LIMITED (Retry-After)' })
  @ApiServiceUnavailableResponse({ description: 'MODEL_UPLOADS_BUSY: MAX_MODEL_UPLOADS model bodies are being read (Retry-After)' })
  @ApiConsumes('application/json', MODEL_MEDIA_TYPE)
  @ApiBody({ schema: { type: 'object', description: 'verilay.model.v1 or v2 document, or canonical bytes' } })
  @ApiCreatedResponse({ type: RegisteredModelDto, description: 'Registered' })
  @ApiOkResponse({ type: RegisteredModelDto, description: 'Already registered (created: false)' })
  @ApiUnprocessableEntityResponse({ description: 'INVALID_MODEL, with meta.path naming the field' })
  async register(
    @Body() document: unknown,
    @Query('name') name: unknown,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    // The bytes are read here, after the key guard (body-parsing.ts leaves them unread).
    const { modelId, created, model } =
      req.is(MODEL_MEDIA_TYPE) === MODEL_MEDIA_TYPE
        ? await this.registerBytes(req, typeof name === 'string' ? name : undefined, res)
        : await this.models.register(document);
    if (!created) res.status(200);
    return { ...summary(modelId, model), created };
  }

  /** Reads, decodes and stores model bytes, at most MAX_MODEL_UPLOADS at once. */
  private async registerBytes(req: Request, name: string | undefined, res: Response) {
    if (this.uploads >= MAX_MODEL_UPLOADS) {
      res.setHeader('Retry-After', '5');
      throw new HttpException(
        { code: 'MODEL_UPLOADS_BUSY', message: `${MAX_MODEL_UPLOADS} model uploads are in progress; retry later` },
        503,
      );
    }
    this.uploads++;
    try {
      return await this.models.registerBytes(await readModelBody(req, this.config.modelBodyLimit), name);
    } finally {
      this.uploads--;
    }
  }

  @Get(':modelId')
  @ApiOperation({
    summary:
      'A registered model: summary and document (null over 4 MiB of canonical bytes); with ' +
      'Accept: application/vnd.verilay.model, its canonical bytes (keccak256 = modelId)',
  })
  @ApiProduces('application/json', MODEL_MEDIA_TYPE)
  @ApiOkResponse({ type: ModelViewDto, description: 'The model' })
  async get(
    @Param('modelId', Hex32Param) modelId: string,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    res.vary('Accept'); // two representations: no cache may answer one Accept with the other's
    if (wantsBytes(req)) {
      const bytes = await this.models.bytes(modelId);
      res.type(MODEL_MEDIA_TYPE);
      res.setHeader('ETag', `"${modelId.toLowerCase()}"`); // the content's hash already: Express would SHA-1 it
      res.send(bytes);
      return;
    }
    const { model, size } = await this.models.getSized(modelId);
    const document = size <= MAX_JSON_MODEL_BYTES ? modelToJson(model) : null;
    return { ...summary(modelId, model), bytes: size, document };
  }
}

/**
 * The canonical bytes are served only when asked for by name, never for a wildcard Accept, nor
 * when the client refuses them (q=0).
 */
function wantsBytes(req: Request): boolean {
  return (req.headers.accept ?? '').split(',').some((range) => {
    const [type, ...params] = range.split(';').map((p) => p.trim().toLowerCase());
    const q = params.find((p) => /^q\s*=/.test(p))?.replace(/^q\s*=\s*/, '');
    return type === MODEL_MEDIA_TYPE && (q === undefined || Number(q) > 0);
  });
}
