import { readFile } from 'node:fs/promises';
import { deploymentSpecSchema, describeFieldErrors, fieldErrors, type DeploymentSpecInput } from '@oja/contracts';
import { parse as parseYaml } from 'yaml';
import { CliError } from './errors';

// The replica limit is the server's setting (OJA_MAX_REPLICAS): it checks that one; everything else here.
const localSpec = deploymentSpecSchema({ maxReplicas: Number.MAX_SAFE_INTEGER });

/** Reads a spec file, or stdin for "-". */
export async function readSpecSource(file: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<string> {
  if (file === '-') return readAll(stdin);
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Parses YAML or JSON and validates it with the same schema the server uses, so a bad file fails
 * here naming the field. Returns the document as written (the server fills in defaults).
 */
export function parseSpec(text: string, source: string): DeploymentSpecInput {
  if (text.trim() === '') throw new CliError(`${source} is empty: expected a deployment spec`);
  let doc: unknown;
  try {
    doc = source.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    const kind = source.endsWith('.json') ? 'JSON' : 'YAML';
    throw new CliError(`${source} is not valid ${kind}: ${firstLine((err as Error).message)}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new CliError(`${source} must contain one deployment spec object (name, image, replicas, …)`);
  }
  const result = localSpec.safeParse(doc);
  if (!result.success) throw new CliError(`invalid spec in ${source}: ${describeFieldErrors(fieldErrors(result.error))}`);
  return doc as DeploymentSpecInput;
}

function firstLine(message: string): string {
  return message.split('\n')[0];
}
