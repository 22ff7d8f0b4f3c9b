import { Logger } from '@nestjs/common';
import { loadVerifierConfig } from './config/verifier.config';
import { createVerifierApp, OPENAPI_JSON_PATH } from './verifier-app';

async function main() {
  const config = loadVerifierConfig(process.env);
  const app = await createVerifierApp(config);
  await app.listen(config.port, config.host);
  new Logger('verifier').log({
    msg: 'listening',
    url: await app.getUrl(),
    db: config.dbPath,
    openapi: '/docs',
    openapiJson: OPENAPI_JSON_PATH,
  });
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
