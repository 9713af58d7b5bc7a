import { describe, expect, it } from 'vitest';
import { createRedactor } from '../../source/exec/redact.js';
import { CANARY } from './fixtures.js';

describe('createRedactor', () => {
  it('replaces every occurrence of each known value', () => {
    const redact = createRedactor(['s3cr3t-value', 'other-secret']);
    expect(redact('a s3cr3t-value b s3cr3t-value c other-secret')).toBe('a *** b *** c ***');
  });

  it('masks the longest value first, so a secret containing another is masked whole', () => {
    const redact = createRedactor(['pass', 'password123']);
    expect(redact('user password123 and pass')).toBe('user *** and ***');
  });

  it('ignores undefined, empty and values shorter than 4 characters', () => {
    const redact = createRedactor([undefined, '', 'ab', 'abc', 'abcd']);
    expect(redact('ab abc abcd')).toBe('ab abc ***');
  });

  it('leaves text without secrets untouched', () => {
    expect(createRedactor([])('nothing to hide')).toBe('nothing to hide');
  });

  it('treats values literally, not as patterns', () => {
    const redact = createRedactor(['a.b*c(d']);
    expect(redact('x a.b*c(d y aXbbbc(d')).toBe('x *** y aXbbbc(d');
  });
});

describe('createRedactor: parts and encodings of a secret', () => {
  const redact = createRedactor(Object.values(CANARY));
  const mongoPassword = 'canary-mongo-pw-H6d';

  it('masks the password of a connection string when it appears alone', () => {
    const log = `connecting with user=canary-user password=${mongoPassword} to cluster0`;
    expect(redact(log)).toBe('connecting with user=canary-user password=*** to cluster0');
    expect(redact('auth canary-redis-user:canary-redis-pw-J2f ok')).toBe('auth *** ok');
    expect(redact('AUTH canary-redis-pw-J2f')).toBe('AUTH ***');
  });

  it('masks a connection string returned in another form', () => {
    const returned = 'MONGO_URI=mongodb+srv://canary-user:canary-mongo-pw-H6d@cluster0.example.net/membrane?retryWrites=true&w=majority';
    const shown = redact(returned);
    expect(shown).not.toContain(mongoPassword);
    expect(shown).toBe('MONGO_URI=***?retryWrites=true&w=majority');
    const otherDatabase = 'mongodb+srv://canary-user:canary-mongo-pw-H6d@cluster0.example.net/admin?retryWrites=true';
    expect(redact(otherDatabase)).toBe('mongodb+srv://***@cluster0.example.net/admin?retryWrites=true');
    expect(redact('redis://canary-redis-user:canary-redis-pw-J2f@10.0.0.7:6380/0')).toBe('redis://***@10.0.0.7:6380/0');
  });

  it('masks any scheme://user:password@host', () => {
    const shown = createRedactor(['https://deploy-bot:tok3n-Zr81@git.example.com/repo.git'])('clone https://deploy-bot:tok3n-Zr81@mirror.example.com/x failed: tok3n-Zr81');
    expect(shown).toBe('clone https://***@mirror.example.com/x failed: ***');
  });

  it('does not mask the user name of a connection string on its own', () => {
    expect(redact('logged in as canary-user')).toBe('logged in as canary-user');
    expect(createRedactor(['redis://admin@redis.example.net'])('--admin-enabled')).toBe('--admin-enabled');
  });

  it('does not mask a password shorter than 4 characters on its own, nor its base64', () => {
    const shown = createRedactor(['redis://:pw@redis.example.net:6379'])('pw power YQ== cHc= :pw');
    expect(shown).toBe('pw power YQ== cHc= :pw');
  });

  it('masks the URL-encoded and the URL-decoded forms', () => {
    const uri = 'mongodb://app:p%40ss%2Fw0rd%3A@db.example.net/membrane';
    const redact = createRedactor([uri]);
    expect(redact('password: p@ss/w0rd:')).toBe('password: ***');
    expect(redact('password: p%40ss%2Fw0rd%3A')).toBe('password: ***');
    expect(redact('user app:p@ss/w0rd:')).toBe('user ***');
    expect(createRedactor(['pa ss@word/1'])('token=pa%20ss%40word%2F1')).toBe('token=***');
  });

  it('masks the base64 of the whole value and of its password', () => {
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    expect(redact(`data: ${b64(CANARY.mongoUri)}`)).toBe('data: ***');
    expect(redact(`{"password":"${b64(mongoPassword)}"}`)).toBe('{"password":"***"}');
    expect(redact(`Authorization: Basic ${b64('canary-user:canary-mongo-pw-H6d')}`)).toBe('Authorization: Basic ***');
  });

  it('masks the JSON-escaped form of a value with quotes and backslashes', () => {
    const secret = 'q"uo\\te\\n-Kx9"';
    const document = JSON.stringify({ env: [{ name: 'MEMBRANE_SECRET', value: secret }] });
    expect(document).not.toContain(secret);
    const shown = createRedactor([secret])(document);
    expect(shown).toBe('{"env":[{"name":"MEMBRANE_SECRET","value":"***"}]}');
  });

  it('leaves no canary in text that holds all their forms', () => {
    const everything = Object.values(CANARY)
      .flatMap((value) => [value, encodeURIComponent(value), Buffer.from(value).toString('base64'), JSON.stringify(value)])
      .join(' | ');
    const shown = redact(everything);
    for (const value of [...Object.values(CANARY), mongoPassword, 'canary-redis-pw-J2f']) expect(shown).not.toContain(value);
  });
});
