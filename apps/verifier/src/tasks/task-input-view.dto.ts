import { ApiProperty } from '@nestjs/swagger';

/** `GET /v1/tasks/:claimId/input`, for the OpenAPI document (checked against libs/client). */
export class TaskInputViewDto {
  @ApiProperty() claimId!: string;
  @ApiProperty() modelId!: string;
  @ApiProperty() inputCommitment!: string;
  @ApiProperty({ type: [Number] }) shape!: number[];
  @ApiProperty() dtype!: string;
  @ApiProperty({ type: [Number] }) data!: number[];
  @ApiProperty({ type: String, nullable: true }) salt!: string | null;
}
