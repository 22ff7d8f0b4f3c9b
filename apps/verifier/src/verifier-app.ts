import 'reflect-metadata';
import { BadRequestException, Logger, ValidationPipe, type INestApplication } from '@nestjs/common';
import type { ValidationError } from 'class-validator';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { createAppLogger } from '@verilay/logging';
import { checkNativeAtBoot, describeNative } from '@verilay/native';
import { connectChain } from './chain/chain-context';
import { Clock } from './clock';
import type { VerifierConfig } from './config/verifier.config';
import { useJsonBodies } from './http/body-parsing';
import { withDevApiKey } from './http/dev-api-key';
import { answerHostileTransport } from './http/hostile-transport';
import { httpMetrics } from './metrics/http-metrics.middleware';
import { MetricsService } from './metrics/metrics.service';
import { VerifierModule } from './verifier.module';
import { describeExecutor, ReplayQueue } from '@verilay/workers';

/** Where the OpenAPI document is served (JSON), beside its browsable page at `/docs`. */
export const OPENAPI_JSON_PATH = '/docs/openapi.json';

/**
 * Builds the verifier HTTP app (not yet listening): used by main.ts and by the tests. Connects
 * its chain first (embedded mode starts anvil and deploys), so the claims' EIP-712 domain is
 * known before the database is checked against it.
 */
export async function createVerifierApp(
  config: VerifierConfig,
  options: { clock?: Clock; logger?: false } = {},
): Promise<INestApplication> {
  const logger = options.logger === false ? false : createAppLogger('verifier', config.logFormat);
  // VERILAY_NATIVE=on without a usable native core stops the boot here, before anything starts.
  const native = checkNativeAtBoot(config.native);
  if (logger) logger.log(describeNative(native), 'native');
  const connected = await connectChain(config, logger === false ? silentLogger() : undefined);
  const keyed = withDevApiKey(connected.config, logger === false ? silentLogger() : logger);
  let app: INestApplication;
  try {
    app = await NestFactory.create(VerifierModule.forRoot(keyed, options.clock, connected.chain), {
      bodyParser: false,
      logger,
      // A failing provider must reach the caller as an error (main.ts logs it and exits), not end
      // the process from inside Nest.
      abortOnError: false,
    });
  } catch (error) {
    await connected.chain?.onApplicationShutdown();
    throw error;
  }
  answerHostileTransport(app.getHttpServer());
  // What replays the disputes (with a chain): the GPU, or CPU threads and why (VERILAY_EXECUTOR).
  const replays = connected.chain ? app.get(ReplayQueue, { strict: false }) : undefined;
  if (logger && replays)
    logger.log(`${describeExecutor(replays.describe())} (VERILAY_EXECUTOR=${config.executor})`, 'replays');
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('verilay verifier')
      .setDescription('Submit signed inference claims, follow them to final, fetch task data to replay them.')
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key (verilay api-key mint)' })
      .build(),
  );
  // First, so that requests answered by body parsing are counted too.
  app.use(httpMetrics(app.get(MetricsService), Object.keys(document.paths)));
  useJsonBodies(app, config.bodyLimit);
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: (errors) =>
        new BadRequestException({
          code: 'VALIDATION_FAILED',
          message: flattenValidationErrors(errors).join('; '),
        }),
    }),
  );
  app.enableShutdownHooks();
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: OPENAPI_JSON_PATH.slice(1) });
  return app;
}

function silentLogger() {
  const logger = new Logger('chain');
  logger.log = () => undefined;
  logger.warn = () => undefined;
  return logger;
}

/** "claims.0.signature: signature must be a 65-byte 0x-hex signature" for each failed constraint. */
function flattenValidationErrors(errors: ValidationError[], path = ''): string[] {
  return errors.flatMap((e) => {
    const at = path ? `${path}.${e.property}` : e.property;
    return [
      ...Object.values(e.constraints ?? {}).map((m) => `${at}: ${m}`),
      ...flattenValidationErrors(e.children ?? [], at),
    ];
  });
}
