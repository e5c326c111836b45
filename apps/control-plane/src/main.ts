import 'reflect-metadata';
import { createApp } from './app.factory';
import { ConfigError, loadConfig } from './config/config';

async function main(): Promise<void> {
  const config = loadConfig();
  const { app, generatedAdminToken } = await createApp(config);
  await app.listen({ host: config.httpAddr.host, port: config.httpAddr.port });
  if (generatedAdminToken) {
    // Shown once: only its hash is stored.
    process.stdout.write(`oja: generated admin token (store it now, it is not shown again): ${generatedAdminToken}\n`);
  }
  process.stdout.write(`oja-control-plane listening on ${await app.getUrl()}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`oja-control-plane: ${err instanceof ConfigError ? err.message : (err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
