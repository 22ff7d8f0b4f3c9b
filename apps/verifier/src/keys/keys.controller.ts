import {
  BadRequestException,
  Controller,
  Get,
  Injectable,
  Param,
  Res,
  StreamableFile,
  type PipeTransform,
} from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Hex32Param } from '../http/hex32.pipe';
import { KeysService } from './keys.service';

/** A content address: 64 lowercase hex digits of sha256. */
@Injectable()
export class Sha256Param implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!/^[0-9a-fA-F]{64}$/.test(value))
      throw new BadRequestException({
        code: 'VALIDATION_FAILED',
        message: `${value.slice(0, 80)} is not a sha256 (64 hex digits)`,
      });
    return value.toLowerCase();
  }
}

/**
 * Published proving and verification keys, read-only and content-addressed: a registrar's keys
 * can be fetched, hashed and rebuilt by anyone (docs/trusted-setup.md).
 */
@ApiTags('models')
@Controller('v1/models/:modelId/keys')
export class KeysController {
  constructor(private readonly keys: KeysService) {}

  @Get()
  @ApiOperation({
    summary:
      "The model's built keys: sha256 and size of each zkey and vkey, the development beacon, and whether each matches the verifier registered on chain",
  })
  @ApiOkResponse({ description: 'The keys this verifier holds (only built keys are listed)' })
  @ApiNotFoundResponse({ description: 'MODEL_NOT_FOUND' })
  list(@Param('modelId', Hex32Param) modelId: string) {
    return this.keys.list(modelId);
  }

  @Get(':sha256')
  @ApiOperation({ summary: 'One key file by its sha256 (the bytes hash to the address)' })
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({ description: 'The file' })
  @ApiNotFoundResponse({ description: 'MODEL_NOT_FOUND or KEY_NOT_FOUND' })
  async file(
    @Param('modelId', Hex32Param) modelId: string,
    @Param('sha256', Sha256Param) sha256: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile> {
    const { stream, name, bytes } = await this.keys.file(modelId, sha256);
    // Content-addressed: the bytes at this URL never change.
    res.setHeader('cache-control', 'public, max-age=31536000, immutable');
    return new StreamableFile(stream, {
      type: 'application/octet-stream',
      disposition: `attachment; filename="${name}"`,
      length: bytes,
    });
  }
}
