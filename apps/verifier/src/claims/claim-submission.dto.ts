import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  buildMessage,
  IsArray,
  IsInt,
  IsObject,
  IsOptional,
  Matches,
  ValidateBy,
  ValidateNested,
} from 'class-validator';

const HEX32 = /^0x[0-9a-fA-F]{64}$/;
const hex32 = (description: string) => [
  ApiProperty({ description, pattern: HEX32.source }),
  Matches(HEX32, { message: '$property must be 32 bytes of 0x-hex' }),
];
const apply =
  (...decorators: PropertyDecorator[]): PropertyDecorator =>
  (target, key) =>
    decorators.forEach((d) => d(target, key));

/**
 * `@IsInt({ each: true })` in one loop: class-validator calls a validator per value, which cost a
 * 784-value input ~0.3 ms of the event loop per claim. Same name and message.
 */
const IsIntegers = (): PropertyDecorator =>
  ValidateBy({
    name: 'isInt',
    validator: {
      validate: (value: unknown) =>
        Array.isArray(value) && value.every((v) => typeof v === 'number' && Number.isInteger(v)),
      defaultMessage: buildMessage(() => 'each value in $property must be an integer number'),
    },
  });

/** Largest tensor a request may carry (matches the runtime's MAX_TENSOR_SIZE order of magnitude). */
const MAX_VALUES = 1 << 20;

export class TaskInputDto {
  @ApiProperty({ description: 'Input values, row-major, integers of the model input dtype', type: [Number] })
  @IsArray()
  @ArrayMaxSize(MAX_VALUES)
  @IsIntegers()
  data!: number[];

  @ApiPropertyOptional({
    description: 'Field element mixed into the input commitment (hides the input)',
    pattern: HEX32.source,
  })
  @IsOptional()
  @Matches(HEX32, { message: '$property must be 32 bytes of 0x-hex' })
  salt?: `0x${string}`;
}

export class GenerationDto {
  @ApiProperty({ description: 'Tokens of the prompt: input positions [0, promptLength)', minimum: 1 })
  @IsInt()
  promptLength!: number;

  @ApiProperty({
    description:
      'Tokens generated greedily after the prompt: input positions [promptLength, promptLength + completionLength); the rest of the input is padding (token 0)',
    minimum: 1,
  })
  @IsInt()
  completionLength!: number;
}

export class ClaimSubmissionDto {
  @apply(...hex32('keccak256 of the model canonical bytes'))
  modelId!: `0x${string}`;

  @apply(...hex32("The network's task identifier"))
  taskId!: `0x${string}`;

  @apply(...hex32('Poseidon commitment of the (salted) input, h_0'))
  inputCommitment!: `0x${string}`;

  @apply(...hex32('Poseidon commitment of the claimed output, h_L'))
  outputCommitment!: `0x${string}`;

  @apply(...hex32('Merkle root over the trace commitments h_0..h_L'))
  traceRoot!: `0x${string}`;

  @ApiProperty({ description: 'The operator address that signed the claim', pattern: '^0x[0-9a-fA-F]{40}$' })
  @Matches(/^0x[0-9a-fA-F]{40}$/, { message: '$property must be a 20-byte 0x-hex address' })
  operator!: `0x${string}`;

  @ApiProperty({ description: "The operator's EIP-712 signature over the claim (65 bytes)" })
  @Matches(/^0x[0-9a-fA-F]{130}$/, { message: '$property must be a 65-byte 0x-hex signature' })
  signature!: `0x${string}`;

  @ApiPropertyOptional({
    type: TaskInputDto,
    description: 'Task data; checked against inputCommitment and served to watchers',
  })
  @IsOptional()
  @IsObject({ message: '$property must be an object { data, salt? }' })
  @ValidateNested()
  @Type(() => TaskInputDto)
  input?: TaskInputDto;

  @ApiPropertyOptional({
    type: [Number],
    description: 'Claimed output values; checked against outputCommitment',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_VALUES)
  @IsIntegers()
  output?: number[];

  @ApiPropertyOptional({
    type: GenerationDto,
    description:
      'Marks a text-generation claim (docs/model-format.md, "Generation claims"): needs input and output; every completion token must be the argmax the output gives at the position before it',
  })
  @IsOptional()
  @IsObject({ message: '$property must be an object { promptLength, completionLength }' })
  @ValidateNested()
  @Type(() => GenerationDto)
  generation?: GenerationDto;
}

export class SubmitClaimsDto {
  @ApiProperty({
    type: [ClaimSubmissionDto],
    description:
      'One or many claims (at most VERIFIER_MAX_CLAIMS_PER_REQUEST, default 1000); stored all together or not at all',
  })
  // The count (1 to VERIFIER_MAX_CLAIMS_PER_REQUEST) is checked before these, by ClaimCountInterceptor.
  @IsArray()
  @ArrayMinSize(1)
  // SAFETY: ValidateNested walks into nested arrays, so `[[claim]]` passed it; each must be an object.
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => ClaimSubmissionDto)
  claims!: ClaimSubmissionDto[];
}
