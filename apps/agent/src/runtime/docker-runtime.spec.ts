import { describePullFailure } from './docker-runtime';

describe('describePullFailure', () => {
  const auth = { server: 'reg:5000', username: 'acme', password: 's3cret' };
  it.each([
    ['(HTTP code 500) server error - Head "http://reg:5000/v2/a/manifests/1": unauthorized: authentication required', auth, 'pull denied: bad credentials'],
    ['Get "https://reg:5000/v2/": denied: requested access to the resource is denied', auth, 'pull denied: bad credentials'],
    ['(HTTP code 404) unexpected - manifest unknown: manifest unknown', auth, 'image not found: reg:5000/a:1'],
    ['pull access denied for a, repository does not exist or may require \'docker login\'', undefined, 'image not found: reg:5000/a:1'],
    ['Head "http://reg:5000/v2/a/manifests/1": no basic auth credentials', undefined, 'pull denied: reg:5000/a:1 needs registry credentials'],
    ['dial tcp 10.0.0.1:5000: connect: connection refused', undefined, 'pull failed: reg:5000/a:1: dial tcp 10.0.0.1:5000: connect: connection refused'],
  ])('%s', (message, credentials, reason) => {
    expect(describePullFailure('reg:5000/a:1', message, credentials)).toBe(reason);
  });

  it('never repeats the password', () => {
    expect(describePullFailure('reg:5000/a:1', 'weird failure for acme:s3cret', auth)).toBe('pull failed: reg:5000/a:1: weird failure for acme:***');
  });
});
