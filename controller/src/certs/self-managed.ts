// Certificates managed by the controller itself: a CA and a serving certificate kept in a Secret
// (type kubernetes.io/tls: tls.crt, tls.key, plus ca.crt and ca.key), renewed before expiry, with the
// CA bundle kept current in the webhook configurations and in the CRDs' conversion webhook.
//
// Rotation never drops a request:
//  - serving certificate due (2/3 of its life): a new one from the same CA; the caBundle does not change.
//  - CA due: a new CA; the caBundle first becomes [new CA, old CA] everywhere, then the Secret and the
//    serving certificate switch to the new CA. The old CA leaves the bundle when it expires.
// Replicas share the Secret: every write carries the resourceVersion it read, so one replica wins a
// race and the others adopt what it wrote on their next check.
import type { ObjectMeta } from '@ipam-in-cluster/api';
import {
  classifyApiError,
  CustomResourceDefinitionResource,
  type KubeClient,
  type KubeObject,
  type Secret,
} from '@ipam-in-cluster/kube';
import { discardLogger, type Logger } from '../log/logger.js';
import { StaticCertificateSource } from './file-source.js';
import type { CertificateSource, KeyPairPem, ServingCertificate } from './types.js';
import {
  createCertificateAuthority,
  inspectCertificate,
  issueServingCertificate,
  needsRenewal,
  verifyPair,
} from './x509.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface SelfManagedOptions {
  client: KubeClient;
  namespace: string;
  secretName: string;
  /** The webhook Service; the certificate covers `<svc>.<ns>.svc` and `<svc>.<ns>.svc.cluster.local`. */
  serviceName: string;
  /** Extra SANs (tests serve on 127.0.0.1). */
  extraDnsNames?: string[];
  ipAddresses?: string[];
  /** Names of the Mutating- and ValidatingWebhookConfiguration to keep the caBundle of (may be absent). */
  webhookConfigNames?: string[];
  /** CRDs whose conversion webhook gets the caBundle (default: the two IP pool CRDs). */
  crdNames?: string[];
  caValidityMs?: number;
  servingValidityMs?: number;
  /** How often to re-check the Secret and the expiry (default 1 minute). */
  checkIntervalMs?: number;
  /**
   * After a new CA joins the bundle, how long to wait before serving a certificate it signed, so the
   * API server's webhook clients have picked up the new bundle (default 10 s).
   */
  caPropagationDelayMs?: number;
  log?: Logger;
  fieldManager?: string;
  now?: () => Date;
}

const SECRET_KEYS = { cert: 'tls.crt', key: 'tls.key', ca: 'ca.crt', caKey: 'ca.key' } as const;

interface Material {
  serving: KeyPairPem;
  /** The signing CA (its key is ca.key). */
  ca: KeyPairPem;
  /** Every CA to trust, signing CA first (PEM, concatenated). */
  bundle: string;
}

function b64(s: string): string {
  return Buffer.from(s).toString('base64');
}

function unb64(s: string | undefined): string | undefined {
  return s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8');
}

function splitPem(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
}

interface AdmissionConfig extends KubeObject {
  webhooks?: { name: string; clientConfig: { caBundle?: string; service?: unknown; url?: string } }[];
}

interface Crd extends KubeObject {
  spec: { conversion?: { strategy?: string; webhook?: { clientConfig?: { caBundle?: string } } } };
}

const ADMISSION_RESOURCES = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'].map(
  (kind) => ({
    group: 'admissionregistration.k8s.io',
    version: 'v1',
    kind,
    plural: `${kind.toLowerCase()}s`,
    namespaced: false,
  }),
);

export class SelfManagedCertificates implements CertificateSource {
  private readonly source = new StaticCertificateSource();
  private readonly log: Logger;
  private readonly now: () => Date;
  private timer: NodeJS.Timeout | undefined;
  private bundle: string | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: SelfManagedOptions) {
    this.log = options.log ?? discardLogger;
    this.now = options.now ?? (() => new Date());
  }

  get dnsNames(): string[] {
    const { serviceName: s, namespace: n } = this.options;
    return [`${s}.${n}.svc`, `${s}.${n}.svc.cluster.local`, ...(this.options.extraDnsNames ?? [])];
  }

  /** The PEM CA bundle currently injected (after start()). */
  get caBundle(): string | undefined {
    return this.bundle;
  }

  current(): ServingCertificate | undefined {
    return this.source.current();
  }

  onChange(listener: (c: ServingCertificate) => void): () => void {
    return this.source.onChange(listener);
  }

  /** Ensures a valid certificate exists and is injected, then keeps checking. */
  async start(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => {
      this.check().catch((error: unknown) => {
        this.log.error('webhook certificate check failed', {
          error: error instanceof Error ? error.message : String(error),
        });
      });
    }, this.options.checkIntervalMs ?? 60_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  /**
   * One round: read the Secret, renew what is due, inject the bundle, serve the result. Serialised.
   * `forceNewCA` rotates the CA now (same careful order as a due rotation), e.g. after a key leak.
   */
  check(options: { forceNewCA?: boolean } = {}): Promise<void> {
    const next = (this.running ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => this.checkOnce(options.forceNewCA ?? false));
    this.running = next;
    return next;
  }

  private secretClient() {
    return this.options.client.secrets();
  }

  private async checkOnce(forceNewCA: boolean): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const ref = { namespace: this.options.namespace, name: this.options.secretName };
      const secret = await this.secretClient().find(ref);
      const existing = secret === undefined ? undefined : this.readSecret(secret);
      const planned = await this.plan(existing, forceNewCA && attempt === 0);
      // Trust first, then switch: the bundle must contain the CA before anything is served with it.
      const injected = await this.inject(planned.bundle);
      if (injected && planned.newCA && existing !== undefined) {
        await new Promise((resolve) => setTimeout(resolve, this.options.caPropagationDelayMs ?? 10_000));
      }
      if (planned.changed) {
        try {
          await this.writeSecret(secret, planned);
        } catch (error) {
          const kind = classifyApiError(error).kind;
          if ((kind === 'Conflict' || kind === 'AlreadyExists') && attempt < 5) continue; // another replica wrote first
          throw error;
        }
        this.log.info('webhook certificate issued', {
          secret: `${ref.namespace}/${ref.name}`,
          notAfter: inspectCertificate(planned.serving.cert).notAfter.toISOString(),
          newCA: planned.newCA,
        });
      }
      this.bundle = planned.bundle;
      this.source.set({ cert: planned.serving.cert, key: planned.serving.key });
      return;
    }
  }

  private readSecret(secret: Secret): Material | undefined {
    const data = secret.data ?? {};
    const cert = unb64(data[SECRET_KEYS.cert]);
    const key = unb64(data[SECRET_KEYS.key]);
    const bundle = unb64(data[SECRET_KEYS.ca]);
    const caKey = unb64(data[SECRET_KEYS.caKey]);
    if (cert === undefined || key === undefined || bundle === undefined || caKey === undefined)
      return undefined;
    const caCert = splitPem(bundle)[0];
    if (caCert === undefined) return undefined;
    const ca = { cert: caCert, key: caKey };
    if (!verifyPair(ca) || !verifyPair({ cert, key }, caCert)) return undefined;
    return { serving: { cert, key }, ca, bundle };
  }

  private async plan(
    existing: Material | undefined,
    forceNewCA: boolean,
  ): Promise<Material & { changed: boolean; newCA: boolean }> {
    const now = this.now();
    const caValidity = this.options.caValidityMs ?? 5 * 365 * DAY_MS;
    const servingValidity = this.options.servingValidityMs ?? 90 * DAY_MS;
    let ca = existing?.ca;
    let bundle = existing?.bundle;
    let newCA = false;
    if (
      forceNewCA ||
      ca === undefined ||
      bundle === undefined ||
      needsRenewal(ca.cert, now, 2 / 3, servingValidity)
    ) {
      // A new CA also outlives every serving certificate it signs (minRemaining = serving validity).
      ca = await createCertificateAuthority({ validityMs: caValidity, now });
      const stillValid = splitPem(bundle ?? '').filter((pem) => inspectCertificate(pem).notAfter > now);
      bundle = [ca.cert, ...stillValid].join('');
      newCA = true;
    } else {
      // Drop expired CAs from the bundle.
      const kept = splitPem(bundle).filter((pem, i) => i === 0 || inspectCertificate(pem).notAfter > now);
      bundle = kept.join('');
    }
    let serving = existing?.serving;
    const sansOk =
      serving !== undefined &&
      this.dnsNames.every((n) => inspectCertificate(serving?.cert ?? '').dnsNames.includes(n)) &&
      (this.options.ipAddresses ?? []).every((ip) =>
        inspectCertificate(serving?.cert ?? '').ipAddresses.includes(ip),
      );
    if (newCA || serving === undefined || !sansOk || needsRenewal(serving.cert, now)) {
      serving = await issueServingCertificate(ca, {
        dnsNames: this.dnsNames,
        ipAddresses: this.options.ipAddresses ?? [],
        validityMs: servingValidity,
        now,
      });
    }
    const changed =
      existing === undefined ||
      serving !== existing.serving ||
      bundle !== existing.bundle ||
      ca !== existing.ca;
    return { serving, ca, bundle, changed, newCA };
  }

  private async writeSecret(current: Secret | undefined, m: Material): Promise<void> {
    const data = {
      [SECRET_KEYS.cert]: b64(m.serving.cert),
      [SECRET_KEYS.key]: b64(m.serving.key),
      [SECRET_KEYS.ca]: b64(m.bundle),
      [SECRET_KEYS.caKey]: b64(m.ca.key),
    };
    const metadata: ObjectMeta = { name: this.options.secretName, namespace: this.options.namespace };
    if (current === undefined) {
      await this.secretClient().create({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata,
        type: 'kubernetes.io/tls',
        data,
      });
      return;
    }
    // PUT with the resourceVersion read: a concurrent writer makes this fail with Conflict.
    await this.secretClient().replace({ ...current, data });
  }

  /** Puts `bundle` into every webhook of our configurations and into the CRDs' conversion webhook. */
  private async inject(bundle: string): Promise<boolean> {
    const encoded = b64(bundle);
    let changed = false;
    for (const name of this.options.webhookConfigNames ?? []) {
      for (const resource of ADMISSION_RESOURCES) {
        const client = this.options.client.resource<AdmissionConfig>(resource);
        await retryOnConflict(async () => {
          const config = await client.find({ name });
          if (config?.webhooks === undefined) return;
          if (config.webhooks.every((w) => w.clientConfig.caBundle === encoded)) return;
          for (const w of config.webhooks) w.clientConfig.caBundle = encoded;
          await client.replace(config, {
            fieldManager: this.options.fieldManager ?? 'ipam-in-cluster-controller',
          });
          changed = true;
          this.log.info('webhook caBundle injected', { kind: resource.kind, name });
        });
      }
    }
    const crds = this.options.client.resource<Crd>(CustomResourceDefinitionResource);
    for (const name of this.options.crdNames ?? [
      'inclusterippools.ipam.cluster.x-k8s.io',
      'globalinclusterippools.ipam.cluster.x-k8s.io',
    ]) {
      const crd = await crds.find({ name });
      const conversion = crd?.spec.conversion;
      if (conversion?.strategy !== 'Webhook' || conversion.webhook?.clientConfig?.caBundle === encoded)
        continue;
      await crds.mergePatch(
        { name },
        { spec: { conversion: { webhook: { clientConfig: { caBundle: encoded } } } } },
        { fieldManager: this.options.fieldManager ?? 'ipam-in-cluster-controller' },
      );
      changed = true;
      this.log.info('conversion caBundle injected', { crd: name });
    }
    return changed;
  }
}

async function retryOnConflict(fn: () => Promise<void>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await fn();
      return;
    } catch (error) {
      if (classifyApiError(error).kind !== 'Conflict' || attempt >= 5) throw error;
    }
  }
}

/** Reads the trusted CA bundle (ca.crt) from a Secret written by SelfManagedCertificates. */
export function caBundleOfSecret(secret: Secret): string | undefined {
  return unb64(secret.data?.[SECRET_KEYS.ca]);
}
