import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { deploymentSpec } from '@oja/contracts';
import { z } from 'zod';

/** JSON Schema of the deployment spec document (as written, defaults optional), for the OpenAPI body. */
export function deploymentSpecJsonSchema(): Record<string, unknown> {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(deploymentSpec, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return schema;
}

/** OpenAPI document at /docs (UI) and /docs/json. */
export function setupOpenApi(app: NestFastifyApplication): void {
  const config = new DocumentBuilder()
    .setTitle('oja control plane')
    .setDescription('Multi-host container orchestrator API. Errors are application/problem+json (RFC 9457).')
    .setVersion('1')
    .addBearerAuth()
    .build();
  const document = SwaggerModule.createDocument(app, config);
  document.components = { ...document.components, schemas: { ...document.components?.schemas, DeploymentSpec: deploymentSpecJsonSchema() as never } };
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/json', yamlDocumentUrl: 'docs/yaml' });
}
