import { Module, type DynamicModule } from '@nestjs/common';
import { openDataSource, WatcherRepository, watcherDataSourceOptions } from '@verilay/storage';
import { DataSource } from 'typeorm';
import { CheckerService } from './checker.service';
import { ClaimReplayer } from './claim-replayer.service';
import { FollowerService } from './follower.service';
import { PlayerService } from './player.service';
import { PursuerService } from './pursuer.service';
import { WatcherChain } from './watcher-chain';
import { WatcherHttpController } from './watcher-http.controller';
import { WatcherLoop } from './watcher-loop.service';
import { WatcherMetrics } from './watcher-metrics.service';
import { WatcherStatusService } from './watcher-status.service';
import { WatcherUi } from './watcher-ui';
import { WatcherConfig } from './watcher.config';

/** Closes the watcher's database after every service has stopped. */
class WatcherDatabase {
  constructor(readonly source: DataSource) {}
  async onApplicationShutdown(): Promise<void> {
    if (this.source.isInitialized) await this.source.destroy();
  }
}

/** The challenger app: follows the chain, replays claims, disputes and plays to the end. */
@Module({})
export class WatcherModule {
  static forRoot(config: WatcherConfig, chain: WatcherChain): DynamicModule {
    return {
      module: WatcherModule,
      controllers: [WatcherHttpController],
      providers: [
        { provide: WatcherConfig, useValue: config },
        { provide: WatcherChain, useValue: chain },
        {
          provide: WatcherDatabase,
          useFactory: async () =>
            new WatcherDatabase(
              await openDataSource(watcherDataSourceOptions(config.databaseUrl ?? config.dbPath)),
            ),
        },
        {
          provide: WatcherRepository,
          useFactory: (db: WatcherDatabase) => new WatcherRepository(db.source),
          inject: [WatcherDatabase],
        },
        WatcherMetrics,
        ClaimReplayer,
        FollowerService,
        CheckerService,
        PursuerService,
        PlayerService,
        WatcherLoop,
        WatcherStatusService,
        WatcherUi,
      ],
    };
  }
}
