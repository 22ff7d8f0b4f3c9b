import { Module, type DynamicModule } from '@nestjs/common';
import { WatcherConfig } from './watcher.config';

/**
 * The challenger app. For now it boots with a validated config and does nothing else: following
 * the chain, replaying claims and disputing them arrives with the on-chain contracts (issue 5).
 */
@Module({})
export class WatcherModule {
  static forRoot(config: WatcherConfig): DynamicModule {
    return { module: WatcherModule, providers: [{ provide: WatcherConfig, useValue: config }] };
  }
}
