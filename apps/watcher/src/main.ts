import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createAppLogger } from '@verilay/logging';
import { checkNativeAtBoot, describeNative } from '@verilay/native';
import { connectWatcherChain } from './watcher-chain';
import { loadWatcherConfig } from './watcher.config';
import { WatcherModule } from './watcher.module';

async function main() {
  const config = loadWatcherConfig(process.env);
  const logger = createAppLogger('watcher', config.logFormat);
  // VERILAY_NATIVE=on without a usable native core stops the boot here, before anything starts.
  logger.log(describeNative(checkNativeAtBoot(config.native)), 'native');
  const chain = await connectWatcherChain(config);
  const app = await NestFactory.create(WatcherModule.forRoot(config, chain), { logger });
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  new Logger('watcher').log({
    msg: 'listening',
    url: await app.getUrl(),
    db: config.dbPath,
    verifier: config.verifierUrl,
  });
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
