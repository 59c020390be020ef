import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiException } from '@kubernetes/client-node';
import { KubeConfigError } from '@ipam-in-cluster/kube';
import '../errors/kube-errors.js';
import { CliError, ExitCode, formatError, toCliError } from '../errors/cli-error.js';
import { run } from './program.js';

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (s) => (out += s), err: (s) => (err += s), isTTY: false, env });
  return { code, out, err };
}

describe('argument parsing', () => {
  it('prints help without a command when not on a terminal', async () => {
    const r = await cli([]);
    assert.equal(r.code, 0);
    assert.match(r.out, /^Usage: kubectl ipam/);
  });
  it('rejects unknown options, commands and output formats with exit 2', async () => {
    assert.equal((await cli(['pools', '--bogus'])).code, ExitCode.Usage);
    assert.equal((await cli(['frobnicate'])).code, ExitCode.Usage);
    const bad = await cli(['-o', 'xml', 'pools']);
    assert.equal(bad.code, ExitCode.Usage);
    assert.equal(
      bad.err,
      'error: unknown output format "xml" (use one of: table, wide, json, yaml, name, jsonpath=TEMPLATE, csv)\n',
    );
  });
  it('-o a command does not print is a usage error before any cluster access', async () => {
    const wide = await cli(['explain', 'nodes-v4', '-o', 'wide']);
    assert.equal(wide.code, ExitCode.Usage);
    assert.match(
      wide.err,
      /^error: explain has no wide output \(it would print the same as the default\); use one of: table, json, yaml, jsonpath=TEMPLATE\n$/,
    );
    for (const argv of [
      ['inspect', '10.0.0.1', '-o', 'wide'],
      ['release', '10.0.0.1', '-o', 'wide'],
      ['release', '10.0.0.1', '-o', 'name'],
      ['browse', '-o', 'json'],
    ]) {
      assert.equal((await cli(argv)).code, ExitCode.Usage, argv.join(' '));
    }
    const template = await cli(['pools', '-o', 'jsonpath={.items[*}']);
    assert.equal(template.code, ExitCode.Usage);
    assert.match(template.err, /^error: -o jsonpath: /);
    assert.equal((await cli(['pools', '-o', 'jsonpath='])).code, ExitCode.Usage);
  });
  it('takes the outputs, flags and spellings kubectl users type (then needs a cluster: exit 4)', async () => {
    const none = ['--kubeconfig', '/nonexistent/config'];
    for (const argv of [
      ['pools', '--sort', 'utilization'],
      ['pools', '--sort', 'utilisation'],
      ['pools', '-l', 'env=prod', '--no-headers', '-o', 'name'],
      ['pools', '--selector', 'env in (a,b)', '-o', "jsonpath='{.items[*].name}'"],
      ['doctor', '--no-headers', '-o', 'wide'],
      ['inspect', '10.0.0.1', '-o', 'name'],
      ['explain', 'x', '-o', 'jsonpath={.kind}'],
    ]) {
      assert.equal((await cli([...none, ...argv])).code, ExitCode.NoCluster, argv.join(' '));
    }
    const bad = await cli(['pools', '--sort', 'fullness']);
    assert.equal(bad.code, ExitCode.Usage);
    assert.equal(
      bad.err,
      'error: --sort: unknown value "fullness" (use one of: name, utilization, free, used)\n',
    );
  });
  it('--as-group without --as exits 2, like kubectl', async () => {
    const r = await cli(['--as-group', 'system:masters', 'pools']);
    assert.equal(r.code, ExitCode.Usage);
    assert.equal(r.err, 'error: --as-group needs --as USER (groups are impersonated with a user)\n');
  });
  it("a sub-command's --help shows its flags, the global flags and examples", async () => {
    const r = await cli(['pools', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.out, /--sort <by>/);
    assert.match(r.out, /-l, --selector <selector>/);
    assert.match(r.out, /Global Options:[\s\S]*--kubeconfig <file>[\s\S]*-A, --all-namespaces/);
    assert.match(r.out, /Examples:\n {2}kubectl ipam pools -A --sort utilization\n/);
    for (const c of ['explain', 'inspect', 'release', 'doctor', 'browse', 'completion']) {
      const h = await cli([c, '--help']);
      assert.match(h.out, /Global Options:/, c);
      assert.match(
        h.out,
        new RegExp(`Examples:\\n {2}kubectl ipam ${c === 'completion' ? 'completion' : '\\w+'}`),
        c,
      );
    }
  });
  it('completion scripts for bash, zsh and fish; unknown shell is a usage error', async () => {
    assert.match((await cli(['completion', 'bash'])).out, /complete -F _kubectl_ipam kubectl-ipam/);
    assert.match((await cli(['completion', 'zsh'])).out, /^#compdef kubectl-ipam/);
    assert.match(
      (await cli(['completion', 'fish'])).out,
      /complete -c kubectl-ipam -n '__fish_use_subcommand' -a 'pools'/,
    );
    assert.equal((await cli(['completion', 'tcsh'])).code, ExitCode.Usage);
  });
  it("__complete answers in Cobra's protocol without a cluster for commands, flags and values", async () => {
    const lines = async (...words: string[]): Promise<string[]> =>
      (await cli(['__complete', '--kubeconfig', '/nonexistent/config', ...words])).out
        .trimEnd()
        .split('\n')
        .map((l) => l.split('\t')[0] ?? '');
    assert.deepEqual(await lines(''), [
      'pools',
      'explain',
      'inspect',
      'release',
      'doctor',
      'browse',
      'completion',
      'reserve',
      'unreserve',
      ':4',
    ]);
    assert.deepEqual(await lines('pools', '--sort', 'u'), ['utilization', 'used', ':4']);
    assert.deepEqual(await lines('pools', '--sort=n'), ['--sort=name', ':4']);
    assert.deepEqual(await lines('explain', '-o', ''), ['table', 'json', 'yaml', 'jsonpath=', ':4']);
    assert.deepEqual(await lines('pools', '--kind', 'g'), ['global', 'global-prefix', ':4']);
    assert.deepEqual(await lines('completion', ''), ['bash', 'zsh', 'fish', ':4']);
    assert.deepEqual(await lines('--kubeconfig', ''), [':0']);
    const flags = await lines('doctor', '--');
    for (const f of ['--min-age', '--no-headers', '--kubeconfig', '--all-namespaces', '--help'])
      assert.ok(flags.includes(f), f);
    // The cluster part is empty without a cluster; "claim" is still offered.
    assert.deepEqual(await lines('explain', ''), ['claim', ':4']);
  });
  it('no kubeconfig: one line, exit 4', async () => {
    const r = await cli(['--kubeconfig', '/nonexistent/config', 'pools']);
    assert.equal(r.code, ExitCode.NoCluster);
    assert.equal(r.err, 'error: --kubeconfig: no such file: /nonexistent/config\n');
  });
  it('release without targets is a usage error before any cluster access', async () => {
    const r = await cli(['release']);
    assert.equal(r.code, ExitCode.Usage);
    assert.match(r.err, /^error: release: name at least one address/);
  });
});

describe('error mapping', () => {
  const api = (code: number, reason: string, message: string) =>
    new ApiException(code, 'GET /x', JSON.stringify({ kind: 'Status', code, reason, message }), {});
  it('maps API errors to exit codes with one human line', () => {
    assert.equal(toCliError(api(403, 'Forbidden', 'ipaddresses is forbidden')).exitCode, ExitCode.Forbidden);
    assert.equal(toCliError(api(401, 'Unauthorized', 'Unauthorized')).exitCode, ExitCode.Forbidden);
    assert.equal(toCliError(api(404, 'NotFound', 'not found')).exitCode, ExitCode.NotFound);
    assert.equal(toCliError(api(409, 'Conflict', 'the object has been modified')).exitCode, ExitCode.Refused);
    assert.equal(
      toCliError(
        Object.assign(new TypeError('fetch failed'), {
          cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
        }),
      ).exitCode,
      ExitCode.NoCluster,
    );
    assert.equal(toCliError(new KubeConfigError('no kubeconfig found')).exitCode, ExitCode.NoCluster);
    assert.equal(toCliError(new Error('boom')).exitCode, ExitCode.Error);
  });
  it('prints the stack only with --verbose', () => {
    const e = toCliError(api(403, 'Forbidden', 'nope'), 'list pools');
    assert.equal(formatError(e, false), 'error: cannot list pools: permission denied: nope\n');
    assert.match(formatError(e, true), /caused by: /);
    assert.equal(formatError(new CliError(ExitCode.Usage, 'x', { hint: 'y' }), false), 'error: x\nhint: y\n');
  });
});
