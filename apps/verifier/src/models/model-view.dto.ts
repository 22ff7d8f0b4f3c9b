import { ApiProperty } from '@nestjs/swagger';

// The shapes of the models routes' answers, for the OpenAPI document (libs/client's types are
// checked against it: apps/verifier/src/openapi-contract.spec.ts).

export class TensorTypeDto {
  @ApiProperty({ type: [Number] }) shape!: number[];
  @ApiProperty({ example: 'int8' }) dtype!: string;
}

export class ModelSummaryDto {
  @ApiProperty({ description: 'keccak256 of the canonical bytes', pattern: '^0x[0-9a-fA-F]{64}$' })
  modelId!: string;

  @ApiProperty() name!: string;
  @ApiProperty({ type: TensorTypeDto }) input!: TensorTypeDto;
  @ApiProperty({ type: TensorTypeDto }) output!: TensorTypeDto;
  @ApiProperty() layers!: number;
  @ApiProperty() parameters!: number;
}

export class RegisteredModelDto extends ModelSummaryDto {
  @ApiProperty({ description: 'false when the model was already registered (answer 200)' })
  created!: boolean;
}

export class ModelViewDto extends ModelSummaryDto {
  @ApiProperty({ description: 'Size of the canonical bytes' })
  bytes!: number;

  @ApiProperty({
    type: 'object',
    nullable: true,
    additionalProperties: true,
    description: 'The verilay.model document; null over 4 MiB of canonical bytes (ask for application/vnd.verilay.model)',
  })
  document!: Record<string, unknown> | null;
}
