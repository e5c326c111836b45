import { deploymentSpec } from '@oja/contracts';
import { canonicalJson, sameTemplate } from './spec-compare';

const parse = (doc: Record<string, unknown>) => deploymentSpec.parse({ name: 'web', image: 'busybox:1', replicas: 1, ...doc });

describe('canonicalJson', () => {
  it('sorts object keys at every level and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
  });
  it('drops undefined members, as JSON and jsonb do', () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe(canonicalJson({ b: 1 }));
  });
});

describe('sameTemplate', () => {
  it('ignores replicas', () => expect(sameTemplate(parse({ replicas: 1 }), parse({ replicas: 9 }))).toBe(true));
  it('treats spelled-out defaults as equal to omitted ones', () =>
    expect(sameTemplate(parse({}), parse({ env: {}, ports: [], update: { maxSurge: 1, maxUnavailable: 0 }, placement: { strategy: 'spread' } }))).toBe(true));
  it('ignores env key order', () => expect(sameTemplate(parse({ env: { A: '1', B: '2' } }), parse({ env: { B: '2', A: '1' } }))).toBe(true));
  it('sees an image change', () => expect(sameTemplate(parse({}), parse({ image: 'busybox:2' }))).toBe(false));
  it('sees a command change', () => expect(sameTemplate(parse({ command: ['a', 'b'] }), parse({ command: ['b', 'a'] }))).toBe(false));
  it('sees an env value change', () => expect(sameTemplate(parse({ env: { A: '1' } }), parse({ env: { A: '2' } }))).toBe(false));
  it('sees an update strategy change', () => expect(sameTemplate(parse({}), parse({ update: { maxSurge: 2 } }))).toBe(false));
});
