import { commandErrors, sessionsByServer } from './runtime-api';

describe('runtime API answers', () => {
  it('reads current sessions per backend/server from show stat', () => {
    const csv = '# pxname,svname,qcur,qmax,scur,smax\nfe_9000,FRONTEND,,,3,9\np9000,s1,0,0,2,5\np9000,s2,0,0,0,1\np9000,BACKEND,0,0,2,6\n\n';
    const sessions = sessionsByServer(csv);
    expect(sessions.get('p9000/s1')).toBe(2);
    expect(sessions.get('p9000/s2')).toBe(0);
  });

  it('treats address-change notices as success and anything else as an error', () => {
    expect(commandErrors("\nIP changed from '127.0.0.1' to '10.42.0.2', port changed from '1' to '8080' by 'stats socket command'\n\n")).toEqual([]);
    expect(commandErrors("no need to change the addr, port changed from '1' to '8080' by 'stats socket command'\n")).toEqual([]);
    expect(commandErrors('No such server.\n\n')).toEqual(['No such server.']);
  });
});
