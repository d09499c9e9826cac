import { describe, expect, it } from 'vitest';
import { definedHeaders, type HeaderBag, rewriteRequestHeaders, rewriteResponseHeaders } from './headers.js';

const present = (h: HeaderBag) => Object.fromEntries(definedHeaders(h));

const ctx = {
  xff: '203.0.113.9',
  peerTrusted: false,
  proto: 'http',
  host: 'shop.example',
  nodeId: 'lb-1',
} as const;

describe('rewriteRequestHeaders', () => {
  it('strips hop-by-hop, proxy-* and connection-listed fields, keeps end-to-end ones', () => {
    const h = rewriteRequestHeaders(
      {
        host: 'shop.example',
        connection: 'keep-alive, X-Secret-Hop',
        'keep-alive': 'timeout=5',
        'x-secret-hop': 'drop me',
        'proxy-authorization': 'Basic abc',
        'proxy-connection': 'keep-alive',
        te: 'trailers',
        trailer: 'x-checksum',
        upgrade: 'h2c',
        expect: '100-continue',
        'transfer-encoding': 'chunked',
        accept: 'application/json',
        cookie: 'a=1; b=2',
        'content-length': '3',
      },
      ctx,
      42,
    );
    expect(present(h)).toEqual({
      host: 'shop.example',
      accept: 'application/json',
      cookie: 'a=1; b=2',
      'content-length': '3',
      'x-forwarded-for': '203.0.113.9',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'shop.example',
      'x-ringleader-epoch': '42',
      'x-ringleader-node': 'lb-1',
    });
  });

  it('drops spoofable forwarding fields and client-sent x-ringleader-* from untrusted peers', () => {
    const h = rewriteRequestHeaders(
      {
        'x-forwarded-for': '1.1.1.1',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'evil.example',
        forwarded: 'for=1.1.1.1',
        'x-real-ip': '1.1.1.1',
        'x-ringleader-epoch': '999999',
        'x-ringleader-backend': 'b9',
      },
      { ...ctx, host: undefined },
      3,
    );
    // The client's own epoch is dropped; the permit's is the only one that goes out.
    expect(present(h)).toEqual({
      'x-forwarded-for': '203.0.113.9',
      'x-forwarded-proto': 'http',
      'x-ringleader-epoch': '3',
      'x-ringleader-node': 'lb-1',
    });
  });

  it('keeps x-forwarded-proto/host from a trusted proxy and marks a forwarding hop', () => {
    const h = rewriteRequestHeaders(
      { host: 'internal:8080', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'shop.example' },
      { ...ctx, xff: '198.51.100.1, 10.0.0.5', peerTrusted: true, host: 'internal:8080', via: 'lb-2' },
      42,
    );
    expect(present(h)).toMatchObject({
      host: 'internal:8080',
      'x-forwarded-for': '198.51.100.1, 10.0.0.5',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'shop.example',
      'x-ringleader-via': 'lb-2',
    });
  });
});

describe('rewriteResponseHeaders', () => {
  it('strips hop-by-hop fields of the backend connection and can name the backend', () => {
    const h = rewriteResponseHeaders(
      {
        connection: 'keep-alive, x-hop',
        'keep-alive': 'timeout=5',
        'x-hop': '1',
        'content-type': 'text/plain',
        'set-cookie': ['a=1', 'b=2'],
      },
      'b1',
    );
    expect(h).toEqual({
      'content-type': 'text/plain',
      'set-cookie': ['a=1', 'b=2'],
      'x-ringleader-backend': 'b1',
    });
    expect(rewriteResponseHeaders({ 'content-type': 'x' }, undefined)).toEqual({ 'content-type': 'x' });
  });
});
