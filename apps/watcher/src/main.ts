import 'reflect-metadata';
import { ConsoleLogger, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadWatcherConfig } from './watcher.config';
import { WatcherModule } from './watcher.module';

async function main() {
  const config = loadWatcherConfig(process.env);
  const app = await NestFactory.createApplicationContext(WatcherModule.forRoot(config), {
    logger: new ConsoleLogger({ json: config.logFormat === 'json', prefix: 'watcher' }),
  });
  app.enableShutdownHooks();
  new Logger('watcher').log(
    `started; verifier ${config.verifierUrl}. Chain following is not built yet: idle until stopped.`,
  );
  // Stay up (like the real watcher will) until SIGINT/SIGTERM.
  setInterval(() => undefined, 1 << 30);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
