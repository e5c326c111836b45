import { Readable } from 'node:stream';
import { stringify } from 'yaml';
import { CliError } from './errors';
import { parseSpec, readSpecSource } from './spec-file';

const valid = 'name: web\nimage: oja/busybox:1\nreplicas: 2\n';

describe('parseSpec', () => {
  it('accepts YAML and JSON and returns the document as written', () => {
    expect(parseSpec(valid, 'web.yaml')).toEqual({ name: 'web', image: 'oja/busybox:1', replicas: 2 });
    expect(parseSpec(JSON.stringify({ name: 'web', image: 'oja/busybox:1', replicas: 2 }), 'web.json')).toEqual({
      name: 'web',
      image: 'oja/busybox:1',
      replicas: 2,
    });
  });

  it.each([
    ['', 'web.yaml', /web.yaml is empty/],
    ['name: [web\n', 'web.yaml', /web.yaml is not valid YAML: /],
    ['{"name": "web",', 'web.json', /web.json is not valid JSON: /],
    ['- a\n- b\n', 'web.yaml', /must contain one deployment spec object/],
    ['just text', 'web.yaml', /must contain one deployment spec object/],
  ])('rejects %j from %s', (text, source, message) => {
    expect(() => parseSpec(text, source)).toThrow(CliError);
    expect(() => parseSpec(text, source)).toThrow(message);
  });

  it("leaves the replica limit to the server (OJA_MAX_REPLICAS may raise it)", () => {
    expect(parseSpec('name: web\nimage: oja/busybox:1\nreplicas: 5000\n', 'web.yaml').replicas).toBe(5000);
  });

  it.each([
    [{ replicas: -1 }, 'replicas: must not be negative'],
    [{ replicas: 'two' }, 'replicas: must be a number'],
    [{ image: 'Bad Image' }, 'image: must be an image reference'],
    [{ ports: [{ container: 70000 }] }, 'ports.0.container: must be at most 65535'],
    [{ colour: 'blue' }, 'unknown field "colour"'],
  ])('names the invalid field in %j', (override, message) => {
    const text = stringify({ name: 'web', image: 'oja/busybox:1', replicas: 2, ...override });
    expect(() => parseSpec(text, 'web.yaml')).toThrow('invalid spec in web.yaml: ');
    expect(() => parseSpec(text, 'web.yaml')).toThrow(message);
  });
});

describe('readSpecSource', () => {
  it('reads stdin for "-"', async () => {
    expect(await readSpecSource('-', Readable.from([Buffer.from('name: '), Buffer.from('web\n')]))).toBe('name: web\n');
  });

  it('names an unreadable file', async () => {
    await expect(readSpecSource('/nonexistent/oja/web.yaml')).rejects.toThrow('cannot read /nonexistent/oja/web.yaml: no such file');
  });
});
