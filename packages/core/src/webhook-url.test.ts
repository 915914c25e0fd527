import { describe, expect, it } from 'vitest';
import { WEBHOOK_URL_PORT_RULE, WEBHOOK_URL_RULE, WEBHOOK_URL_USERINFO_RULE, webhookUrlProblem } from './webhook-url.ts';

describe('the webhook URL rule: http(s), a host, a port 1-65535, no user info', () => {
  it.each([
    'https://erp.example.com/hooks/herald',
    'http://127.0.0.1:8080/x?y=1',
    'http://localhost:1/',
    'https://h.example.com:65535',
    'HTTPS://ERP.EXAMPLE.COM/',
    'http://[::1]:9000/hook',
    'http://[2001:db8::1]/',
    'https://erp.example.com/a@b/c?mail=a@b.c',
    'https://xn--bcher-kva.example/',
  ])('accepts %s', (url) => {
    expect(webhookUrlProblem(url)).toBeUndefined();
  });

  it.each([
    ['http://', WEBHOOK_URL_RULE],
    ['http:///path', WEBHOOK_URL_RULE],
    ['http://:80/', WEBHOOK_URL_RULE],
    ['http://[]/', WEBHOOK_URL_RULE],
    ['http://[::1/', WEBHOOK_URL_RULE],
    ['ftp://x', WEBHOOK_URL_RULE],
    ['mailto:a@example.com', WEBHOOK_URL_RULE],
    ['example.com/hook', WEBHOOK_URL_RULE],
    ['http:\\\\example.com\\hook', WEBHOOK_URL_RULE],
    ['http://127.0.0.1:99999/', WEBHOOK_URL_PORT_RULE],
    ['http://h.example.com:0/', WEBHOOK_URL_PORT_RULE],
    ['http://h.example.com:65536/', WEBHOOK_URL_PORT_RULE],
    ['http://h.example.com:/', WEBHOOK_URL_PORT_RULE],
    ['http://h.example.com:08080/', WEBHOOK_URL_PORT_RULE],
    ['http://h.example.com:80a/', WEBHOOK_URL_PORT_RULE],
    ['http://[::1]:99999/', WEBHOOK_URL_PORT_RULE],
    ['http://user:pass@host/', WEBHOOK_URL_USERINFO_RULE],
    ['https://token@host.example.com/', WEBHOOK_URL_USERINFO_RULE],
    ['https://@host.example.com/', WEBHOOK_URL_USERINFO_RULE],
  ])('refuses %s', (url, rule) => {
    expect(webhookUrlProblem(url)).toBe(rule);
  });

  it('points to auth for credentials', () => {
    expect(WEBHOOK_URL_USERINFO_RULE).toMatch(/auth/);
  });
});
