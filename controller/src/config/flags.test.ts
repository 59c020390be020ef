import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatBindAddress, parseBindAddress } from './bind-address.js';
import { formatGoDuration, parseGoDuration } from './duration.js';
import { FLAG_DEFAULTS, parseFlags, type ControllerConfig } from './flags.js';

function ok(argv: string[]): ControllerConfig {
  const r = parseFlags(argv);
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  return r.config;
}

function errors(argv: string[]): readonly string[] {
  const r = parseFlags(argv);
  if (r.ok) assert.fail(`expected errors for ${argv.join(' ')}`);
  return r.errors;
}

describe('parseFlags', () => {
  it('has upstream defaults', () => {
    const c = ok([]);
    assert.deepEqual(c.healthProbeBindAddress, { host: undefined, port: 8081 });
    // Upstream v1.1: /metrics over HTTPS with TokenReview + SubjectAccessReview on :8443.
    assert.deepEqual(c.diagnostics, {
      address: { host: undefined, port: 8443 },
      secure: true,
      certDir: undefined,
      tlsMinVersion: 'TLSv1.2',
    });
    assert.equal(c.metricsBindAddress, undefined);
    assert.equal(c.leaderElection.enabled, false);
    assert.equal(c.leaderElection.id, '7bb7acb4.ipam.cluster.x-k8s.io');
    assert.deepEqual(
      [c.leaderElection.leaseDurationMs, c.leaderElection.renewDeadlineMs, c.leaderElection.retryPeriodMs],
      [15_000, 10_000, 2_000],
    );
    assert.deepEqual(c.webhook, {
      port: 9443,
      host: undefined,
      certDir: FLAG_DEFAULTS.webhookCertDir,
      certName: 'tls.crt',
      keyName: 'tls.key',
      tlsMinVersion: 'TLSv1.2',
      certMode: 'files',
      certSecret: undefined,
      serviceName: undefined,
      configName: undefined,
      certHosts: { ipAddresses: [], dnsNames: [] },
      poolOverlapDetection: false,
    });
    assert.match(c.webhook.certDir, /k8s-webhook-server[/\\]serving-certs$/);
    assert.deepEqual([c.namespace, c.watchFilter, c.kubeconfig], [undefined, undefined, undefined]);
    assert.deepEqual([c.concurrency, c.utilizationWarningThreshold], [32, 90]);
    assert.deepEqual(c.log, { level: 'info', format: 'json' });
  });

  it('takes the upstream deployment arguments and Go boolean forms', () => {
    assert.equal(ok(['--leader-elect']).leaderElection.enabled, true);
    assert.equal(ok(['--leader-elect=true']).leaderElection.enabled, true);
    assert.equal(ok(['--leader-elect=false']).leaderElection.enabled, false);
    const c = ok([
      '--leader-elect',
      '--leader-elect-namespace',
      'capi-ipam-in-cluster-system',
      '--leader-elect-lease-duration=30s',
      '--leader-elect-renew-deadline=20s',
      '--leader-elect-retry-period=5s',
      '--namespace=team-a',
      '--watch-filter=blue',
      '--health-probe-bind-address=127.0.0.1:9081',
      '--metrics-bind-address=0',
      '--webhook-port=0',
      '--webhook-cert-dir=/certs',
      '--concurrency=4',
      '--utilization-warning-threshold=75',
      '--log-format=text',
      '--kubeconfig=/k',
    ]);
    assert.equal(c.leaderElection.namespace, 'capi-ipam-in-cluster-system');
    assert.equal(c.leaderElection.leaseDurationMs, 30_000);
    assert.deepEqual(c.healthProbeBindAddress, { host: '127.0.0.1', port: 9081 });
    assert.equal(c.metricsBindAddress, undefined, '0 disables metrics');
    assert.equal(c.webhook.port, undefined, '0 disables webhooks');
    assert.equal(c.webhook.certDir, '/certs');
    assert.deepEqual(
      [c.namespace, c.watchFilter, c.kubeconfig, c.concurrency, c.utilizationWarningThreshold],
      ['team-a', 'blue', '/k', 4, 75],
    );
    assert.equal(c.log.format, 'text');
  });

  it('takes the webhook flags the chart passes (files and self-managed certificates)', () => {
    const files = ok([
      '--webhook-port=9443',
      '--webhook-cert-dir=/tmp/k8s-webhook-server/serving-certs',
      '--webhook-cert-name=cert.pem',
      '--webhook-key-name=key.pem',
      '--pool-overlap-detection',
    ]);
    assert.deepEqual(
      [files.webhook.port, files.webhook.certDir, files.webhook.certName, files.webhook.keyName],
      [9443, '/tmp/k8s-webhook-server/serving-certs', 'cert.pem', 'key.pem'],
    );
    assert.equal(files.webhook.certMode, 'files');
    assert.equal(files.webhook.poolOverlapDetection, true);
    const managed = ok([
      '--webhook-cert-mode=self-managed',
      '--webhook-cert-secret=ipam-webhook-cert',
      '--webhook-service-name=ipam-webhook',
      '--webhook-config-name=ipam-ipam-in-cluster',
      '--webhook-cert-hosts=127.0.0.1, ::1,[fd00::1],Dev.Example.com',
      '--pool-overlap-detection=false',
    ]);
    assert.deepEqual(
      [
        managed.webhook.certMode,
        managed.webhook.certSecret,
        managed.webhook.serviceName,
        managed.webhook.configName,
      ],
      ['self-managed', 'ipam-webhook-cert', 'ipam-webhook', 'ipam-ipam-in-cluster'],
    );
    assert.deepEqual(managed.webhook.certHosts, {
      ipAddresses: ['127.0.0.1', '::1', 'fd00::1'],
      dnsNames: ['dev.example.com'],
    });
    assert.equal(managed.webhook.poolOverlapDetection, false);
  });

  it('binds the webhook server where --webhook-bind-address says; its port wins', () => {
    const pod = ok(['--webhook-bind-address=[10.1.2.3]:9443']);
    assert.deepEqual([pod.webhook.host, pod.webhook.port], ['10.1.2.3', 9443]);
    const v6 = ok(['--webhook-bind-address', '[fd00::7]:8443']);
    assert.deepEqual([v6.webhook.host, v6.webhook.port], ['fd00::7', 8443]);
    const all = ok(['--webhook-bind-address=:9444', '--webhook-port=9444']);
    assert.deepEqual([all.webhook.host, all.webhook.port], [undefined, 9444]);
    assert.equal(ok(['--webhook-bind-address=0']).webhook.port, undefined, '0 disables webhooks');
    const wins = ok(['--webhook-port=0', '--webhook-bind-address=127.0.0.1:9555']);
    assert.deepEqual([wins.webhook.host, wins.webhook.port], ['127.0.0.1', 9555]);
    assert.deepEqual(errors(['--webhook-bind-address=fd00::1:9443']), [
      'invalid value "fd00::1:9443" for --webhook-bind-address: an IPv6 host must be in brackets, e.g. [::1]:8080',
    ]);
  });

  it('checks the webhook certificate flags', () => {
    assert.deepEqual(
      errors(['--webhook-cert-mode=cert-manager', '--webhook-cert-hosts=ok.example,bad host']),
      [
        'invalid value "cert-manager" for --webhook-cert-mode: must be files or self-managed',
        'invalid value "bad host" for --webhook-cert-hosts: must be a comma-separated list of IP addresses and DNS names',
      ],
    );
    assert.deepEqual(errors(['--webhook-cert-mode=self-managed']), [
      'invalid value "" for --webhook-cert-secret: is required with --webhook-cert-mode=self-managed',
      'invalid value "" for --webhook-service-name: is required with --webhook-cert-mode=self-managed',
    ]);
    assert.equal(
      ok(['--webhook-cert-mode=self-managed', '--webhook-port=0']).webhook.port,
      undefined,
      'nothing is required when webhooks are off',
    );
    assert.match(
      errors(['--pool-overlap-detection=sometimes'])[0] ?? '',
      /--pool-overlap-detection: must be true or false/,
    );
  });

  it('gives --diagnostics-address and --insecure-diagnostics upstream v1.1 meaning', () => {
    // Upstream's Deployment arguments (only --leader-elect) get the protected endpoint.
    assert.deepEqual(ok(['--leader-elect']).diagnostics.address, { host: undefined, port: 8443 });
    assert.equal(ok(['--leader-elect']).diagnostics.secure, true);
    const insecure = ok(['--diagnostics-address=127.0.0.1:9000', '--insecure-diagnostics']);
    assert.deepEqual(insecure.diagnostics.address, { host: '127.0.0.1', port: 9000 });
    assert.equal(insecure.diagnostics.secure, false);
    assert.equal(insecure.metricsBindAddress, undefined);
    assert.equal(ok(['--insecure-diagnostics=false']).diagnostics.secure, true);
    assert.equal(ok(['--diagnostics-address=0']).diagnostics.address, undefined);
    const tls13 = ok(['--diagnostics-cert-dir=/certs', '--tls-min-version=VersionTLS13']).diagnostics;
    assert.deepEqual([tls13.certDir, tls13.tlsMinVersion], ['/certs', 'TLSv1.3']);
  });

  it('keeps --metrics-bind-address as plain HTTP; alone it replaces the diagnostics endpoint', () => {
    const v10 = ok(['--metrics-bind-address=:8080']);
    assert.deepEqual(v10.metricsBindAddress, { host: undefined, port: 8080 });
    assert.equal(v10.diagnostics.address, undefined);
    assert.equal(ok(['--metrics-bind-address=0']).diagnostics.address, undefined);
    const both = ok(['--metrics-bind-address=:8080', '--diagnostics-address=:8443']);
    assert.deepEqual(
      [both.metricsBindAddress?.port, both.diagnostics.address?.port, both.diagnostics.secure],
      [8080, 8443, true],
    );
    assert.deepEqual(errors(['--metrics-bind-address=:8443', '--diagnostics-address=:8443']), [
      'invalid value ":8443" for --metrics-bind-address: is the same address as --diagnostics-address ":8443"; give one of them',
    ]);
    assert.deepEqual(errors(['--health-probe-bind-address=:8443']), [
      'invalid value ":8443" for --diagnostics-address: serves HTTPS and cannot share --health-probe-bind-address ":8443" (plain HTTP)',
    ]);
    assert.equal(
      ok(['--health-probe-bind-address=:8443', '--insecure-diagnostics']).diagnostics.secure,
      false,
    );
  });

  it('maps -v and --log-level; --log-level wins', () => {
    assert.equal(ok(['-v', '1']).log.level, 'debug');
    assert.equal(ok(['--v=2']).log.level, 'debug');
    assert.equal(ok(['-v=0']).log.level, 'info');
    assert.equal(ok(['-v', '4', '--log-level', 'warn']).log.level, 'warn');
  });

  it('reports every problem, naming the flag and the value', () => {
    const e = errors([
      '--concurrency=0',
      '--webhook-port=70000',
      '--health-probe-bind-address=8081',
      '--log-level=loud',
      '--log-format=xml',
      '--leader-elect=maybe',
      '--utilization-warning-threshold=x',
    ]);
    assert.deepEqual(e, [
      'invalid value "maybe" for --leader-elect: must be true or false',
      'invalid value "70000" for --webhook-port: must be a whole number between 0 and 65535',
      'invalid value "loud" for --log-level: must be one of error, warn, info, debug',
      'invalid value "xml" for --log-format: must be json or text',
      'invalid value "8081" for --health-probe-bind-address: must be host:port, :port, or 0 to disable',
      'invalid value "0" for --concurrency: must be a whole number between 1 and 1000',
      'invalid value "x" for --utilization-warning-threshold: must be a whole number between 1 and 100',
    ]);
  });

  it('takes the forecast half-life as a duration, 6h by default', () => {
    assert.equal(ok([]).forecastHalfLifeMs, 6 * 3_600_000);
    assert.equal(ok(['--forecast-half-life=90s']).forecastHalfLifeMs, 90_000);
    assert.deepEqual(errors(['--forecast-half-life=soon']), [
      'invalid value "soon" for --forecast-half-life: must be a positive duration such as 15s, 1m30s or 500ms',
    ]);
  });

  it('checks the leader election timing rules', () => {
    assert.match(
      errors(['--leader-elect-lease-duration=10s'])[0] ?? '',
      /--leader-elect-lease-duration: must be greater than --leader-elect-renew-deadline/,
    );
    assert.match(
      errors(['--leader-elect-retry-period=9s'])[0] ?? '',
      /--leader-elect-renew-deadline: must be greater than 1.2/,
    );
    assert.match(
      errors(['--leader-elect-retry-period=soon'])[0] ?? '',
      /"soon" for --leader-elect-retry-period/,
    );
  });

  it('rejects unknown flags and stray arguments; --help exits 0', () => {
    const unknown = parseFlags(['--metrics-addr=:1']);
    assert.deepEqual(unknown.ok ? 0 : unknown.exitCode, 2);
    assert.match(unknown.ok ? '' : (unknown.errors[0] ?? ''), /unknown option '--metrics-addr=:1'/);
    assert.equal(parseFlags(['stray']).ok, false);
    let out = '';
    const help = parseFlags(['--help'], { writeOut: (s) => (out += s), writeErr: () => undefined });
    assert.deepEqual(help, { ok: false, exitCode: 0, errors: [] });
    assert.match(out, /--diagnostics-address <addr>\s+address of \/metrics over HTTPS/);
    assert.match(out, /--metrics-bind-address <addr>\s+address of \/metrics over plain HTTP/);
    assert.doesNotMatch(out, /not served/);
    assert.match(out, /--webhook-cert-mode <mode>/);
  });
});

describe('parseBindAddress', () => {
  it('parses the Go forms and disables on 0 or empty', () => {
    assert.deepEqual(parseBindAddress(':8080'), { ok: true, value: { host: undefined, port: 8080 } });
    assert.deepEqual(parseBindAddress('[::1]:0'), { ok: true, value: { host: '::1', port: 0 } });
    assert.deepEqual(parseBindAddress('0'), { ok: true, value: undefined });
    assert.deepEqual(parseBindAddress(''), { ok: true, value: undefined });
    assert.equal(parseBindAddress('::1:80').ok, false);
    assert.equal(parseBindAddress('host:http').ok, false);
    assert.equal(formatBindAddress({ host: '::1', port: 80 }), '[::1]:80');
  });
});

describe('parseGoDuration', () => {
  it('accepts Go durations and rejects the rest', () => {
    assert.equal(parseGoDuration('15s'), 15_000);
    assert.equal(parseGoDuration('1m30s'), 90_000);
    assert.equal(parseGoDuration('1.5h'), 5_400_000);
    assert.equal(parseGoDuration('500ms'), 500);
    assert.equal(parseGoDuration('0'), 0);
    assert.equal(parseGoDuration('15'), undefined);
    assert.equal(parseGoDuration('-1s'), undefined);
    assert.equal(formatGoDuration(15_000), '15s');
    assert.equal(formatGoDuration(90_000), '90s');
  });
});
