import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';

/** Path parameters that are 32-byte ids (modelId, claimId), normalised to lowercase. */
@Injectable()
export class Hex32Param implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!/^0x[0-9a-fA-F]{64}$/.test(value))
      throw new BadRequestException({
        code: 'VALIDATION_FAILED',
        message: `${value} is not a 32-byte 0x-hex id`,
      });
    return value.toLowerCase();
  }
}
