// Our webhook server on loopback, registered with the shared API server for one test only.
//
// Safety on a shared control plane: the configurations point at https://127.0.0.1:<port> (loopback
// only), carry a run-unique name, and select only objects labelled with this run's label (and, for
// namespaced kinds, only the test's namespaces), so a failurePolicy Fail webhook never touches
// another engineer's objects. cleanup() deletes both configurations.
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { KubeClient, KubeTransport, loadKubeConfig } from '@ipam-in-cluster/kube';
import {
  ClaimFinalizerWebhook,
  type ClaimScope,
  createCertificateAuthority,
  issueServingCertificate,
  KubePoolReader,
  kubeReservationReader,
  ReservationWebhook,
  StaticCertificateSource,
  type KeyPairPem,
  mutatingWebhookConfiguration,
  PoolWebhooks,
  startHttpsWebhookServer,
  validatingWebhookConfiguration,
  type CertificateSource,
  type RunningWebhookServer,
  type WebhookConfiguration,
} from '@ipam-in-cluster/controller/webhooks';
import { ControllerMetrics } from '@ipam-in-cluster/controller';
import { testCluster } from './cluster.js';

export const RUN_LABEL = 'ipam-in-cluster.test/webhook-run';

export async function kubeClient(): Promise<KubeClient> {
  const { kubeconfigPath } = await testCluster();
  const loaded = loadKubeConfig({ kubeconfig: kubeconfigPath });
  return new KubeClient(new KubeTransport(loaded.kubeConfig));
}

export interface TestWebhooks {
  runId: string;
  /** Labels every test object must carry to be seen by this run's webhooks. */
  labels: Record<string, string>;
  server: RunningWebhookServer;
  ca: KeyPairPem;
  certificates: CertificateSource;
  baseUrl: string;
  configName: string;
  /**
   * Admission requests answered so far, from the controller's `capi_ipam_webhook_requests_total`:
   * `mutate CREATE`, `validate UPDATE`, … → count.
   */
  calls(): Promise<Map<string, number>>;
  /** (Re-)registers the configurations with the given CA bundle. */
  register(caBundlePem?: string): Promise<void>;
  cleanup(): Promise<void>;
}

export interface StartTestWebhooksOptions {
  /** Namespaces whose namespaced pools the webhooks see. */
  namespaces: string[];
  overlapDetection?: boolean;
  /** Use this certificate source instead of a fixed certificate from a fresh CA. */
  certificates?: CertificateSource;
  caPem?: string;
  /** Select objects by these labels instead of a run label of its own (e.g. a controller test's watch filter). */
  labels?: Record<string, string>;
  /** The claim finalizer webhook's scope (a controller test's --watch-filter). */
  claimScope?: ClaimScope;
}

const admissionApi = async () => (await testCluster()).kc.makeApiClient(k8s.AdmissionregistrationV1Api);

export async function startTestWebhooks(options: StartTestWebhooksOptions): Promise<TestWebhooks> {
  const runId = randomBytes(4).toString('hex');
  const client = await kubeClient();
  const ca = await createCertificateAuthority({ commonName: `webhook-test-${runId}` });
  const certificates =
    options.certificates ??
    new StaticCertificateSource(
      await issueServingCertificate(ca, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] }),
    );
  const metrics = new ControllerMetrics();
  const reader = new KubePoolReader({ client });
  const pools = new PoolWebhooks({ reader, overlapDetection: options.overlapDetection ?? false });
  const reservations = new ReservationWebhook({ reader: kubeReservationReader(client, reader) });
  const server = await startHttpsWebhookServer({
    port: 0,
    host: '127.0.0.1',
    certificates,
    pools,
    reservations,
    claims: new ClaimFinalizerWebhook(options.claimScope),
    onAdmission: metrics.admissionHook(),
  });
  const baseUrl = `https://127.0.0.1:${server.port}`;
  const configName = `ipam-webhook-test-${runId}`;
  const labels = options.labels ?? { [RUN_LABEL]: runId };
  const api = await admissionApi();
  const configs = (caBundlePem: string): WebhookConfiguration[] => {
    const common = {
      name: configName,
      target: { url: baseUrl },
      caBundlePem,
      timeoutSeconds: 15,
      objectSelector: { matchLabels: labels },
      namespaceSelector: {
        matchExpressions: [
          { key: 'kubernetes.io/metadata.name', operator: 'In' as const, values: options.namespaces },
        ],
      },
    };
    return [mutatingWebhookConfiguration(common), validatingWebhookConfiguration(common)];
  };
  const apply = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply);
  const register = async (caBundlePem = options.caPem ?? ca.cert) => {
    const [m, v] = configs(caBundlePem);
    await api.patchMutatingWebhookConfiguration(
      { name: configName, body: m, fieldManager: 'ipam-tests', force: true },
      apply,
    );
    await api.patchValidatingWebhookConfiguration(
      { name: configName, body: v, fieldManager: 'ipam-tests', force: true },
      apply,
    );
  };
  await register();
  return {
    runId,
    labels,
    server,
    ca,
    certificates,
    baseUrl,
    configName,
    calls: async () => {
      const counter = metrics.registry.getSingleMetric('capi_ipam_webhook_requests_total');
      const calls = new Map<string, number>();
      for (const { labels, value } of (await counter?.get())?.values ?? []) {
        // The path, /mutate-… or /validate-…, names the webhook.
        const key = `${String(labels.webhook).slice(1).split('-')[0] ?? ''} ${String(labels.operation)}`;
        calls.set(key, (calls.get(key) ?? 0) + value);
      }
      return calls;
    },
    register,
    cleanup: async () => {
      await api.deleteMutatingWebhookConfiguration({ name: configName }).catch(() => undefined);
      await api.deleteValidatingWebhookConfiguration({ name: configName }).catch(() => undefined);
      await server.close(2000);
    },
  };
}

/** The Status of a failed API call (ApiException body), or undefined if the call succeeded. */
export async function statusOf(call: Promise<unknown>): Promise<ApiStatus | undefined> {
  try {
    await call;
    return undefined;
  } catch (error) {
    if (!(error instanceof k8s.ApiException)) throw error;
    const body = JSON.parse(String(error.body)) as ApiStatus;
    return { ...body, code: error.code };
  }
}

export interface ApiStatus {
  code: number;
  message?: string;
  reason?: string;
  details?: { causes?: { field?: string; message?: string; reason?: string }[] };
}
