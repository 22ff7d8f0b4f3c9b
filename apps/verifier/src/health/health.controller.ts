import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { nativeStatus } from '@verilay/native';
import { Leadership } from '../cluster/leadership';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly leadership: Leadership,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    // `native` says what runs the native core's ports (native code or the JavaScript paths); both
    // are healthy, so it is always up.
    return this.health.check([
      () => this.db.pingCheck('database'),
      () => ({ native: { status: 'up' as const, ...nativeStatus() } }),
      // Followers are healthy too: they take claims and serve reads.
      () => ({
        cluster: {
          status: 'up' as const,
          replica: this.leadership.replicaId,
          role: this.leadership.role,
          mechanism: this.leadership.mechanism,
        },
      }),
    ]);
  }
}
