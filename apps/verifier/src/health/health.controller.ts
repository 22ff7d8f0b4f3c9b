import { Controller, Get, Optional } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { nativeStatus } from '@verilay/native';
import { ReplayQueue } from '@verilay/workers';
import { Leadership } from '../cluster/leadership';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly leadership: Leadership,
    /** The defender's replays: present with a chain. */
    @Optional() private readonly replays?: ReplayQueue,
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
      // What replays the disputes (GPU or CPU; a lost GPU falls back to the CPU, so still up).
      ...(this.replays ? [() => ({ executor: { status: 'up' as const, ...this.replays!.describe() } })] : []),
    ]);
  }
}
