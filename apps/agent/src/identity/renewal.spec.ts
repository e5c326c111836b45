import { csrForKey, generateNodeKeyAndCsr } from './node-key';
import { RENEW_WHEN_REMAINING, isRenewalDue, renewalDueAt, renewedCertificateProblem } from './renewal';
import { signNodeCsr, testPki } from './test-pki';

describe('when to renew the node certificate', () => {
  const pki = testPki();
  const { csrPem } = generateNodeKeyAndCsr('node-1');
  const valid = (notBefore: string, notAfter: string) => signNodeCsr(pki, csrPem, 'node-1', { notBefore: new Date(notBefore), notAfter: new Date(notAfter) });

  it('is due once a third of the lifetime remains', () => {
    expect(RENEW_WHEN_REMAINING).toBeCloseTo(1 / 3);
    const year = valid('2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z');
    // 365 days / 3 = 121 days 16 hours before the end.
    expect(renewalDueAt(year)).toEqual(new Date('2026-09-01T08:00:00Z'));
    expect(isRenewalDue(year, new Date('2026-09-01T07:59:59Z'))).toBe(false);
    expect(isRenewalDue(year, new Date('2026-09-01T08:00:00Z'))).toBe(true);
    expect(isRenewalDue(year, new Date('2026-12-31T00:00:00Z'))).toBe(true);
  });

  it('is due at start-up when the certificate is already inside the window, and when it has expired', () => {
    const month = valid('2026-11-01T00:00:00Z', '2026-12-01T00:00:00Z');
    expect(isRenewalDue(month, new Date('2026-11-25T00:00:00Z'))).toBe(true);
    expect(isRenewalDue(month, new Date('2027-01-01T00:00:00Z'))).toBe(true);
  });

  it('takes another fraction', () => {
    const hundredSeconds = valid('2026-11-23T12:00:00Z', '2026-11-23T12:01:40Z');
    expect(renewalDueAt(hundredSeconds, 0.1)).toEqual(new Date('2026-11-23T12:01:30Z'));
    expect(isRenewalDue(hundredSeconds, new Date('2026-11-23T12:01:10Z'), 0.1)).toBe(false);
    expect(isRenewalDue(hundredSeconds, new Date('2026-11-23T12:01:10Z'))).toBe(true);
  });

  it('is not due for a fresh short-lived certificate backdated as the control plane does (a tenth of its life)', () => {
    // 60 s from issue at 12:00:00, backdated 6 s: a third of 66 s remains 22 s before the end.
    const minute = valid('2026-11-23T11:59:54Z', '2026-11-23T12:01:00Z');
    expect(isRenewalDue(minute, new Date('2026-11-23T12:00:00Z'))).toBe(false);
    expect(renewalDueAt(minute)).toEqual(new Date('2026-11-23T12:00:38Z'));
  });
});

describe('checking the renewed certificate before it replaces node.crt', () => {
  const pki = testPki();
  const now = new Date();

  const forNodeKey = (validity = {}) => signNodeCsr(pki, csrForKey(pki.node.keyPem, 'node-1'), 'node-1', validity);

  it('takes a certificate of the cluster CA for the node key, valid now', () => {
    expect(renewedCertificateProblem(forNodeKey(), pki.node, now)).toBeNull();
  });

  it('refuses one for another key', () => {
    const otherKey = signNodeCsr(pki, generateNodeKeyAndCsr('node-1').csrPem, 'node-1');
    expect(renewedCertificateProblem(otherKey, pki.node, now)).toBe("it is not for this node's key");
  });

  it('refuses one of another CA, one that is not valid now, and one that is not a certificate', () => {
    const other = testPki();
    const fromOtherCa = signNodeCsr(other, csrForKey(pki.node.keyPem, 'node-1'), 'node-1');
    expect(renewedCertificateProblem(fromOtherCa, pki.node, now)).toMatch(/^it is not signed by this cluster's CA/);
    const expired = forNodeKey({ notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2021-01-01T00:00:00Z') });
    expect(renewedCertificateProblem(expired, pki.node, now)).toBe('it expired at 2021-01-01T00:00:00.000Z');
    expect(renewedCertificateProblem('', pki.node, now)).toBe('it is not a PEM certificate');
  });
});
