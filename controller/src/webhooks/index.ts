// Public surface of the webhooks: startWebhookServer() wires the pool webhooks, the conversion
// webhook and a certificate source (files or self-managed) into one HTTPS server. The manager calls
// it once (see ../../README.md, "Webhooks"); the pieces are exported for tests and the chart tooling.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SecureVersion } from 'node:tls';
import type { ContractVersion } from '@ipam-in-cluster/api';
import type { KubeClient } from '@ipam-in-cluster/kube';
import { FileCertificateSource } from '../certs/file-source.js';
import { SelfManagedCertificates, type SelfManagedOptions } from '../certs/self-managed.js';
import { ClaimFinalizerWebhook, type ClaimScope } from './claim-finalizer.js';
import { KubePoolReader } from './kube-reader.js';
import { PoolWebhooks, type PoolWebhookOptions } from './pools.js';
import { kubeReservationReader, ReservationWebhook } from './reservations.js';
import { discardLogger, type Logger } from '../log/logger.js';
import { startHttpsWebhookServer, type RunningWebhookServer, type WebhookServerOptions } from './server.js';

export {
  allow,
  badRequest,
  formatFieldError,
  internalError,
  invalid,
  readAdmissionReview,
  toResponse,
} from './admission.js';
export type { AdmissionRequest, AdmissionResponse, AdmissionReview, Status, Verdict } from './admission.js';
export { ClaimFinalizerWebhook } from './claim-finalizer.js';
export type { ClaimScope } from './claim-finalizer.js';
export { handleConversionReview } from './conversion.js';
export type { ConversionReview } from './conversion.js';
export { KubePoolReader } from './kube-reader.js';
export {
  CLAIM_FINALIZER_PATH,
  CLAIM_FINALIZER_WEBHOOK_NAME,
  CLAIM_MATCH_CONDITION,
  clientConfig,
  CONVERSION_PATH,
  conversionSpec,
  mutatePath,
  mutatingWebhookConfiguration,
  mutatingWebhookName,
  RESERVATION_VALIDATE_PATH,
  RESERVATION_WEBHOOK_NAME,
  SPEC_CHANGE_MATCH_CONDITION,
  validatePath,
  validatingWebhookConfiguration,
  validatingWebhookName,
} from './manifests.js';
export type {
  MatchCondition,
  WebhookConfigOptions,
  WebhookConfiguration,
  WebhookTarget,
} from './manifests.js';
export { MAX_POOL_ENTRY_LENGTH, MAX_POOL_LIST_ENTRIES } from '@ipam-in-cluster/api';
export { DELETE_IN_USE_MESSAGE, PoolWebhooks } from './pools.js';
export { kubeReservationReader, ReservationWebhook } from './reservations.js';
export type { ReservationClusterReader } from './reservations.js';
export type { PoolClusterReader, StoredPool } from './pools.js';
export { ADMISSION_MAX_BODY_BYTES, CONVERSION_MAX_BODY_BYTES, startHttpsWebhookServer } from './server.js';
export {
  createCertificateAuthority,
  inspectCertificate,
  issueServingCertificate,
  needsRenewal,
  verifyPair,
} from '../certs/x509.js';
export type { CertificateInfo, CertificateSource, KeyPairPem, ServingCertificate } from '../certs/types.js';
export { FileCertificateSource, StaticCertificateSource } from '../certs/file-source.js';
export { caBundleOfSecret, SelfManagedCertificates } from '../certs/self-managed.js';
export type { SelfManagedOptions } from '../certs/self-managed.js';
export type { RunningWebhookServer } from './server.js';

/** Upstream's default for --webhook-cert-dir. */
export const DEFAULT_WEBHOOK_CERT_DIR = join(tmpdir(), 'k8s-webhook-server', 'serving-certs');

export interface StartWebhookServerOptions {
  client: KubeClient;
  /** --webhook-port (default 9443); 0 disables the webhook server (startWebhookServer returns undefined). */
  port: number;
  host?: string;
  /** --webhook-cert-dir / --webhook-cert-name / --webhook-key-name (certificates from outside). */
  certDir?: string;
  certName?: string;
  keyName?: string;
  /** Set to let the controller manage the CA and serving certificate itself (ignores certDir). */
  selfManaged?: Omit<SelfManagedOptions, 'client' | 'log'>;
  /** --pool-overlap-detection: warn when pools of the same kind and scope overlap. */
  overlapDetection?: boolean;
  /** The controller's --namespace and --watch-filter: the claim finalizer webhook stays inside them. */
  claimScope?: ClaimScope;
  /** Where the key of pending allocations comes from (default: this process's; see PoolWebhookOptions). */
  fenceKey?: PoolWebhookOptions['fenceKey'];
  /** The contract version chosen at start-up (else discovered on first use). */
  contractVersion?: ContractVersion;
  tlsMinVersion?: SecureVersion;
  log?: Logger;
  onAdmission?: WebhookServerOptions['onAdmission'];
  onConnectionRefused?: WebhookServerOptions['onConnectionRefused'];
}

export interface WebhookServerHandle extends RunningWebhookServer {
  /** Stops the server and the certificate watcher. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts the webhook server, or returns undefined when `port` is 0. Throws if no certificate can be had. */
export async function startWebhookServer(
  options: StartWebhookServerOptions,
): Promise<WebhookServerHandle | undefined> {
  if (options.port === 0) return undefined;
  const log = options.log ?? discardLogger;
  let stopCerts: () => void;
  let certificates: WebhookServerOptions['certificates'];
  if (options.selfManaged !== undefined) {
    const managed = new SelfManagedCertificates({ ...options.selfManaged, client: options.client, log });
    await managed.start();
    certificates = managed;
    stopCerts = () => {
      managed.stop();
    };
  } else {
    const files = new FileCertificateSource({
      dir:
        options.certDir === undefined || options.certDir === '' ? DEFAULT_WEBHOOK_CERT_DIR : options.certDir,
      certName: options.certName,
      keyName: options.keyName,
      onError: (error) => {
        log.error('webhook certificate files unreadable', { error: error.message });
      },
    });
    await files.start();
    certificates = files;
    stopCerts = () => {
      files.stop();
    };
  }
  const reader = new KubePoolReader({
    client: options.client,
    ...(options.contractVersion ? { contractVersion: options.contractVersion } : {}),
  });
  const pools = new PoolWebhooks({
    reader,
    overlapDetection: options.overlapDetection ?? false,
    ...(options.fenceKey === undefined ? {} : { fenceKey: options.fenceKey }),
    onIgnoredPending: (pool, ignored) => {
      log.info('pending allocations ignored', { pool, ignored });
    },
  });
  const reservations = new ReservationWebhook({ reader: kubeReservationReader(options.client, reader) });
  const server = await startHttpsWebhookServer({
    port: options.port,
    ...(options.host === undefined ? {} : { host: options.host }),
    certificates,
    pools,
    reservations,
    claims: new ClaimFinalizerWebhook(options.claimScope),
    ...(options.tlsMinVersion === undefined ? {} : { tlsMinVersion: options.tlsMinVersion }),
    log,
    ...(options.onAdmission === undefined ? {} : { onAdmission: options.onAdmission }),
    ...(options.onConnectionRefused === undefined
      ? {}
      : { onConnectionRefused: options.onConnectionRefused }),
  });
  return {
    port: server.port,
    server: server.server,
    close: (graceMs) => server.close(graceMs),
    stop: async (graceMs) => {
      stopCerts();
      await server.close(graceMs);
    },
  };
}
