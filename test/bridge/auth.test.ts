/**
 * Token checks (auth.ts) and the Flight Handshake on a real gRPC server: a bearer header or Basic
 * credentials with a token as password are answered with the bearer header; everything else,
 * and every other RPC without a valid token, is UNAUTHENTICATED with the one fixed message.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthConfigError, AuthTokens, authorizeHttp, basicPassword, bearerToken, isLoopback, UNAUTHENTICATED_MESSAGE } from '../../src/bridge/auth.js';
import { BridgeCore } from '../../src/bridge/core.js';
import { loadFlightService, startFlightServer, type RunningFlightServer } from '../../src/bridge/flight-server.js';
import { Catalog } from '../../src/catalog/catalog.js';
import { LocalSource } from '../../src/catalog/local-source.js';
import { DecodePool } from '../../src/workers/decode-pool.js';

describe('AuthTokens', () => {
  it('reads tokens from a file (blank and # lines ignored) and a comma-separated env value', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wekeo-auth-'));
    try {
      writeFileSync(join(dir, 't'), '# comment\n\n  alpha \r\nbeta\n');
      const t = AuthTokens.load({ file: join(dir, 't'), env: 'gamma, delta,,' });
      expect(t.size).toBe(4);
      for (const ok of ['alpha', 'beta', 'gamma', 'delta']) expect(t.valid(ok)).toBe(true);
      for (const bad of ['# comment', '', 'alph', 'alphaa', 'gamma, delta', undefined]) expect(t.valid(bad)).toBe(false);
      writeFileSync(join(dir, 'empty'), '# none\n\n');
      expect(() => AuthTokens.load({ file: join(dir, 'empty') })).toThrow(AuthConfigError);
      expect(() => AuthTokens.load({ file: join(dir, 'missing') })).toThrow(/cannot read the file \(ENOENT\)/);
      expect(() => AuthTokens.load({ file: join(dir, 'missing') })).not.toThrow(new RegExp(dir));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is off without tokens, and then allows everything', () => {
    const t = AuthTokens.load({ env: '' });
    expect(t.enabled).toBe(false);
    expect(t.allows(undefined)).toBe(true);
  });

  it('parses bearer and basic headers', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(basicPassword(`Basic ${Buffer.from('me:pa:ss').toString('base64')}`)).toBe('pa:ss');
    expect(basicPassword('Basic !!')).toBeUndefined();
  });

  it('takes ?token= out of the URL handlers see', () => {
    const t = new AuthTokens(['s3']);
    expect(authorizeHttp(t, '/stream?dataset=a&token=s3&bbox=1', undefined)).toEqual({ ok: true, url: '/stream?dataset=a&bbox=1', setCookie: 's3' });
    // The cookie a ?token= request set lets a page's images in; a wrong one, or none, does not.
    expect(authorizeHttp(t, '/datasets/a/quicklook.png?variable=v', undefined, 'x=1; wekeo_token=s3').ok).toBe(true);
    expect(authorizeHttp(t, '/datasets/a/quicklook.png?variable=v', undefined, 'wekeo_token=no').ok).toBe(false);
    expect(authorizeHttp(t, '/datasets', 'Bearer s3', 'wekeo_token=no')).toEqual({ ok: true, url: '/datasets' });
    expect(authorizeHttp(t, '/stream?token=no', undefined)).toEqual({ ok: false, url: '/stream' });
    expect(authorizeHttp(t, '/datasets', 'Bearer s3').ok).toBe(true);
    expect(authorizeHttp(t, '/healthz', undefined).ok).toBe(true); // probes carry no token
    expect(authorizeHttp(t, '/healthz/../metrics', undefined).ok).toBe(false);
    expect(authorizeHttp(new AuthTokens([]), '/x?token=1', undefined)).toEqual({ ok: true, url: '/x' });
  });

  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopback(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', 'example.org']) expect(isLoopback(h)).toBe(false);
  });
});

interface RawClient extends grpc.Client {
  Handshake(md: grpc.Metadata): grpc.ClientDuplexStream<unknown, unknown>;
  ListActions(req: unknown, md: grpc.Metadata): grpc.ClientReadableStream<unknown>;
  GetFlightInfo(req: unknown, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, v?: unknown) => void): void;
}

describe('Flight with tokens', () => {
  let dir: string;
  let pool: DecodePool;
  let server: RunningFlightServer;
  let client: RawClient;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wekeo-auth-catalog-'));
    pool = new DecodePool({ size: 1 });
    const core = new BridgeCore(new Catalog([new LocalSource(dir)], (p) => pool.describe(p)), pool);
    server = await startFlightServer(core, '127.0.0.1', 0, undefined, { auth: new AuthTokens(['tok-1', 'tok-2']) });
    const Ctor = grpc.makeGenericClientConstructor(loadFlightService(), 'FlightService');
    client = new Ctor(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure()) as unknown as RawClient;
  });

  afterAll(async () => {
    client?.close();
    await server?.close();
    await pool?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const md = (auth?: string) => {
    const m = new grpc.Metadata();
    if (auth) m.set('authorization', auth);
    return m;
  };

  /** Runs a Handshake and resolves with the response headers' authorization, or the error. */
  const handshake = (auth?: string) =>
    new Promise<{ header?: string; error?: grpc.ServiceError }>((resolve) => {
      const call = client.Handshake(md(auth));
      let header: string | undefined;
      call.on('metadata', (m: grpc.Metadata) => (header = m.get('authorization')[0]?.toString()));
      call.on('data', () => undefined);
      call.on('error', (error: grpc.ServiceError) => resolve({ error }));
      call.on('end', () => resolve({ header }));
      call.write({ protocol_version: '0', payload: Buffer.alloc(0) });
      call.end();
    });

  it('answers Basic credentials with the token as password, or a bearer header, with the bearer header', async () => {
    expect(await handshake(`Basic ${Buffer.from('anyone:tok-2').toString('base64')}`)).toEqual({ header: 'Bearer tok-2' });
    expect(await handshake('Bearer tok-1')).toEqual({ header: 'Bearer tok-1' });
  });

  it('refuses a Handshake without or with wrong credentials, saying nothing else', async () => {
    for (const auth of [undefined, 'Bearer tok-3', `Basic ${Buffer.from('u:tok-9').toString('base64')}`, 'Basic tok-1']) {
      const { error } = await handshake(auth);
      expect(error?.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(error?.details).toBe(UNAUTHENTICATED_MESSAGE);
    }
  });

  it('refuses unary and streaming RPCs without a valid token and serves them with one', async () => {
    const info = (auth?: string) =>
      new Promise<grpc.ServiceError | null>((resolve) => client.GetFlightInfo({ type: 'PATH', path: ['nope'] }, md(auth), (err) => resolve(err)));
    expect((await info())?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await info('Bearer tok-x'))?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await info('Bearer tok-1'))?.code).toBe(grpc.status.NOT_FOUND);
    const actions = (auth?: string) =>
      new Promise<number | grpc.ServiceError>((resolve) => {
        let n = 0;
        const call = client.ListActions({}, md(auth));
        call.on('data', () => n++);
        call.on('error', resolve);
        call.on('end', () => resolve(n));
      });
    expect(((await actions()) as grpc.ServiceError).code).toBe(grpc.status.UNAUTHENTICATED);
    expect(typeof (await actions('Bearer tok-2'))).toBe('number');
  });
});
