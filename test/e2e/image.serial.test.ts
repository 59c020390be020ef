// The controller image, built with buildah from controller/Containerfile on locally assembled
// bases (controller/image/build-local.sh), runs the controller against a real control plane:
// its root filesystem is mounted read-only, /tmp is a tmpfs (as the chart's emptyDir), and the
// image's own ENTRYPOINT runs as its own USER in a chroot — there is no container runtime here.
import assert from 'node:assert/strict';
import { CONTROLLER_NODE_FLAGS } from '@ipam-in-cluster/controller/node-flags';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { capiCrdsDir } from '../cluster/capi-crds.js';
import { repoRoot } from '../cluster/paths.js';
import { freePort } from '../cluster/ports.js';
import { kubectlWith } from '../support/kubectl.js';
import { startPrivatePlane, type PrivatePlane } from '../support/private-plane.js';
import { waitFor } from '../support/wait.js';

const tag = 'localhost/ipam-in-cluster/controller:e2e';
const canRun = process.getuid?.() === 0 && spawnSync('buildah', ['--version']).status === 0;

interface ImageConfig {
  Entrypoint: string[];
  Env?: string[];
  User: string;
  Labels: Record<string, string>;
}

describe(
  'controller image',
  { skip: canRun ? false : 'needs root and buildah (apt-get install buildah)' },
  () => {
    let plane: PrivatePlane;
    let container = '';
    let readOnlyRoot = '';
    let controller: ChildProcess | undefined;
    let config: ImageConfig;
    const mounts: string[] = [];
    let output = '';

    before(() => {
      const build = spawnSync('bash', [join(repoRoot, 'controller/image/build-local.sh'), tag], {
        encoding: 'utf8',
        timeout: 15 * 60_000,
      });
      assert.equal(
        build.status,
        0,
        `image build failed:\n${build.stdout.slice(-3000)}\n${build.stderr.slice(-3000)}`,
      );
      const inspect = JSON.parse(
        execFileSync('buildah', ['inspect', '--type', 'image', tag], { encoding: 'utf8' }),
      ) as {
        OCIv1: { config: ImageConfig };
      };
      config = inspect.OCIv1.config;
      container = execFileSync('buildah', ['from', tag], { encoding: 'utf8' }).trim();
      const rootfs = execFileSync('buildah', ['mount', container], { encoding: 'utf8' }).trim();
      readOnlyRoot = mkdtempSync(join(tmpdir(), 'ipam-image-root-'));
      execFileSync('mount', ['--bind', rootfs, readOnlyRoot]);
      mounts.unshift(readOnlyRoot);
      execFileSync('mount', ['-o', 'remount,bind,ro', readOnlyRoot]);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m,mode=1777', 'tmpfs', join(readOnlyRoot, 'tmp')]);
      mounts.unshift(join(readOnlyRoot, 'tmp'));
      plane = startPrivatePlane('image');
    });

    after(async () => {
      // The killed process holds the mount until it has exited: unmounting before that fails, and
      // the rmSync below then walks into the read-only root (EROFS; seen once in a CI trial).
      if (controller !== undefined && controller.exitCode === null && controller.signalCode === null) {
        const exited = new Promise((resolve) => controller?.once('exit', resolve));
        controller.kill('SIGKILL');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      }
      // Lazy: a mount still busy is detached now and freed when its last user goes.
      for (const m of mounts) spawnSync('umount', ['--lazy', m]);
      if (readOnlyRoot) rmSync(readOnlyRoot, { recursive: true, force: true });
      if (container) spawnSync('buildah', ['rm', container]);
      plane.stop();
    });

    it('is labelled and configured to run as non-root', () => {
      assert.equal(config.User, '65532:65532');
      assert.deepEqual(config.Entrypoint.slice(0, 1), ['/nodejs/bin/node']);
      // No Node flags or NODE_OPTIONS: the controller re-executes itself with its own (node-flags.ts).
      assert.deepEqual(config.Entrypoint, ['/nodejs/bin/node', '/app/controller/main.mjs']);
      assert.ok(!config.Env?.some((e) => e.startsWith('NODE_OPTIONS=')), 'NODE_OPTIONS stays the operator’s');
      assert.ok(config.Labels['org.opencontainers.image.title']);
      assert.ok(config.Labels['org.opencontainers.image.version']);
      const size = execFileSync('buildah', ['images', '--format', '{{.Size}}', tag], {
        encoding: 'utf8',
      }).trim();
      process.stdout.write(`image ${tag}: ${size}\n`);
    });

    it('runs its entrypoint on a read-only root and allocates an address', async () => {
      const kubectl = kubectlWith(plane.kubeconfig);
      kubectl(['apply', '--server-side', '-f', capiCrdsDir()]);
      kubectl(['apply', '--server-side', '-f', join(repoRoot, 'packages/api/crds')]);
      kubectl(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s']);
      // The kubeconfig goes where a mounted Secret would: inside the container's writable /tmp.
      writeFileSync(join(readOnlyRoot, 'tmp', 'kubeconfig'), readFileSync(plane.kubeconfig));
      chownSync(join(readOnlyRoot, 'tmp', 'kubeconfig'), 65532, 65532);
      const probePort = await freePort();
      const metricsPort = await freePort();
      const [user, group] = config.User.split(':');
      controller = spawn(
        '/usr/sbin/chroot',
        [
          `--userspec=${user ?? ''}:${group ?? ''}`,
          readOnlyRoot,
          ...config.Entrypoint,
          '--kubeconfig=/tmp/kubeconfig',
          `--health-probe-bind-address=127.0.0.1:${probePort}`,
          `--metrics-bind-address=127.0.0.1:${metricsPort}`,
          '--webhook-port=0',
        ],
        {
          // The image's own environment, as a runtime sets it.
          env: {
            PATH: '/nodejs/bin',
            HOME: '/home/nonroot',
            ...Object.fromEntries(
              (config.Env ?? []).map((e): [string, string] => [
                e.slice(0, e.indexOf('=')),
                e.slice(e.indexOf('=') + 1),
              ]),
            ),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      controller.stdout?.on('data', (d: Buffer) => (output += d.toString()));
      controller.stderr?.on('data', (d: Buffer) => (output += d.toString()));
      await waitFor(
        async () => {
          if (controller?.exitCode !== null) throw new Error(`controller exited: ${output.slice(-2000)}`);
          const res = await fetch(`http://127.0.0.1:${probePort}/readyz`);
          return res.ok;
        },
        { what: 'the imaged controller to be ready', timeoutMs: 60_000 },
      ).catch((error: unknown) => {
        // What the controller said is the diagnosis: a hang shows nothing else.
        throw new Error(`${String(error)}\ncontroller output:\n${output.slice(-3000)}`);
      });
      // chroot exec'd node, which re-executed itself with the controller's Node flags: same pid.
      const cmdline = readFileSync(`/proc/${String(controller.pid)}/cmdline`, 'utf8').split('\0');
      assert.deepEqual(cmdline.slice(0, 2 + CONTROLLER_NODE_FLAGS.length), [
        '/nodejs/bin/node',
        ...CONTROLLER_NODE_FLAGS,
        '/app/controller/main.mjs',
      ]);

      kubectl(['create', 'namespace', 'image-e2e']);
      kubectl(
        ['apply', '-f', '-'],
        `
apiVersion: ipam.cluster.x-k8s.io/v1alpha2
kind: InClusterIPPool
metadata: {name: pool, namespace: image-e2e}
spec: {addresses: ["10.10.0.10-10.10.0.20"], prefix: 24, gateway: 10.10.0.1}
---
apiVersion: ipam.cluster.x-k8s.io/v1beta2
kind: IPAddressClaim
metadata: {name: claim, namespace: image-e2e}
spec: {poolRef: {apiGroup: ipam.cluster.x-k8s.io, kind: InClusterIPPool, name: pool}}
`,
      );
      const address = await waitFor(
        () => {
          try {
            return Promise.resolve(
              kubectl([
                '-n',
                'image-e2e',
                'get',
                'ipaddresses.ipam.cluster.x-k8s.io',
                'claim',
                '-o',
                'jsonpath={.spec.address}',
              ]) || undefined,
            );
          } catch {
            return Promise.resolve(undefined);
          }
        },
        { what: 'the IPAddress for the claim', timeoutMs: 30_000 },
      );
      assert.equal(address, '10.10.0.10');
      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      assert.match(metrics, /capi_ipam_/);
      assert.equal(controller.exitCode, null, 'the controller must still be running');
    });
  },
);
