import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type ApiBodyOptions } from '@nestjs/swagger';
import {
  createJoinTokenRequest,
  createTenantRequest,
  createTokenRequest,
  dedicateRequest,
  deploymentSpecSchema,
  registryCredentialRequest,
  rollbackRequest,
  scaleRequest,
} from '@oja/contracts';
import { z } from 'zod';
import { CONFIG, type Config } from '../config/config';

/**
 * The request body of every mutating route, by OpenAPI component name: the very zod schemas the API
 * validates with (libs/contracts), so the document cannot drift from what is accepted.
 */
function requestBodySchemas(config: Pick<Config, 'maxReplicas'>) {
  return {
    DeploymentSpec: deploymentSpecSchema({ maxReplicas: config.maxReplicas }),
    ScaleRequest: scaleRequest(config.maxReplicas),
    RollbackRequest: rollbackRequest,
    CreateTenantRequest: createTenantRequest,
    CreateTokenRequest: createTokenRequest,
    CreateJoinTokenRequest: createJoinTokenRequest,
    DedicateRequest: dedicateRequest,
    RegistryCredentialRequest: registryCredentialRequest,
  };
}
export type RequestBodyName = keyof ReturnType<typeof requestBodySchemas>;

/** JSON Schema of a request body as a client writes it (defaults optional). */
function requestJsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return json;
}

/** `@ApiBody(requestBody('ScaleRequest'))`: the body is the component of that name; `required: false` when `{}` may be omitted. */
export function requestBody(name: RequestBodyName, opts: { required?: boolean } = {}): ApiBodyOptions {
  return { schema: { $ref: `#/components/schemas/${name}` }, required: opts.required ?? true };
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
  const bodies = Object.entries(requestBodySchemas(app.get<Config>(CONFIG))).map(([name, schema]) => [name, requestJsonSchema(schema)]);
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...Object.fromEntries(bodies) } };
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/json', yamlDocumentUrl: 'docs/yaml' });
}
