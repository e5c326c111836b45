import { DEFAULT_DATA_DIR, formatHostPort, parseFlags, parseHostPort, parseLabels } from './flags';

const argv = (...args: string[]) => ['node', 'oja-agent', ...args];

describe('parseHostPort', () => {
  it.each([
    ['10.0.0.1:7401', { host: '10.0.0.1', port: 7401 }],
    ['cp.example:1', { host: 'cp.example', port: 1 }],
    ['[::1]:7401', { host: '::1', port: 7401 }],
  ])('reads %s', (text, expected) => {
    expect(parseHostPort(text)).toEqual(expected);
    expect(formatHostPort(expected)).toBe(text);
  });

  it.each(['10.0.0.1', '10.0.0.1:0', '10.0.0.1:65536', ':7401', 'a b:1', '::1:7401', '10.0.0.1:http'])('refuses %s', (text) => {
    expect(() => parseHostPort(text)).toThrow('is not HOST:PORT');
  });
});

describe('parseLabels', () => {
  it('reads comma-separated pairs, ignoring blanks around them', () => {
    expect(parseLabels('zone=a, disk=ssd,,topology.io/rack=r-1')).toEqual({ zone: 'a', disk: 'ssd', 'topology.io/rack': 'r-1' });
  });

  it('allows an empty value', () => {
    expect(parseLabels('gpu=')).toEqual({ gpu: '' });
  });

  it.each([
    ['zone', 'must look like key=value'],
    ['=a', 'must look like key=value'],
    ['zone=a b', 'may hold only'],
    ['zone=a,zone=b', 'given twice'],
  ])('refuses %s', (text, message) => {
    expect(() => parseLabels(text)).toThrow(message);
  });
});

describe('parseFlags', () => {
  it('reads every flag', () => {
    const flags = parseFlags(
      argv(
        '--join', '192.168.77.1:7401', '--token', 't', '--name', 'node-1', '--advertise-address', '192.168.77.11',
        '--data-dir', '/tmp/x', '--labels', 'zone=a', '--metrics-addr', '0.0.0.0:7402',
        '--capacity-cpu', '1.5', '--capacity-memory-mb', '2048',
      ),
      '0.1.0',
    );
    expect(flags).toEqual({
      join: '192.168.77.1:7401',
      token: 't',
      name: 'node-1',
      advertiseAddress: '192.168.77.11',
      dataDir: '/tmp/x',
      labels: { zone: 'a' },
      metricsAddr: '0.0.0.0:7402',
      capacityCpu: 1.5,
      capacityMemoryMb: 2048,
    });
  });

  it('reads the WireGuard port', () => {
    expect(parseFlags(argv('--wg-port', '51999'), '0.1.0').wgPort).toBe(51999);
  });

  it('leaves the overlay unset unless --overlay or --no-overlay is given', () => {
    expect(parseFlags(argv(), '0.1.0').overlay).toBeUndefined();
    expect(parseFlags(argv('--no-overlay'), '0.1.0').overlay).toBe(false);
    expect(parseFlags(argv('--overlay'), '0.1.0').overlay).toBe(true);
  });

  it('defaults the data dir and nothing else', () => {
    expect(parseFlags(argv(), '0.1.0')).toEqual({ dataDir: DEFAULT_DATA_DIR });
  });

  it.each([
    [['--capacity-cpu', '0'], 'not a positive number'],
    [['--capacity-memory-mb', '1.5'], 'not a whole number'],
    [['--advertise-address', '300.1.1.1'], 'not an IPv4 address'],
    [['--join', 'nohost'], 'is not HOST:PORT'],
    [['--wg-port', '70000'], 'is not a port'],
  ])('refuses %p with a message naming the problem', (args, message) => {
    const exit = jest.spyOn(process, 'exit').mockImplementation(((code: number) => {
      throw new Error(`exit ${code}`);
    }) as never);
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(() => parseFlags(argv(...args), '0.1.0')).toThrow('exit 1');
      expect(stderr.mock.calls.map((c) => String(c[0])).join('')).toContain(message);
    } finally {
      exit.mockRestore();
      stderr.mockRestore();
    }
  });
});
