// A small PKI for the local control plane, made with the openssl CLI: one CA that signs the
// API server's serving certificate and the client certificates, and a separate key pair that
// signs service-account tokens (so TokenRequest works).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  adminCert: string;
  adminKey: string;
  controllerManagerCert: string;
  controllerManagerKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const err = error as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === 'ENOENT')
      throw new Error('openssl is not installed (apt-get install openssl)', { cause: error });
    throw new Error(`openssl ${args[0] ?? ''} failed: ${err.stderr?.toString().trim() ?? err.message}`, {
      cause: error,
    });
  }
}

function issue(dir: string, name: string, subject: string, extensions: string): void {
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`], dir);
  openssl(['req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`], dir);
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '30',
      '-sha256',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    ],
    dir,
  );
}

/** Creates the PKI in `dir` unless it is already there. */
export function ensurePki(dir: string): Pki {
  const pki: Pki = {
    dir,
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    servingCert: join(dir, 'apiserver.crt'),
    servingKey: join(dir, 'apiserver.key'),
    adminCert: join(dir, 'admin.crt'),
    adminKey: join(dir, 'admin.key'),
    controllerManagerCert: join(dir, 'controller-manager.crt'),
    controllerManagerKey: join(dir, 'controller-manager.key'),
    serviceAccountKey: join(dir, 'sa.key'),
    serviceAccountPub: join(dir, 'sa.pub'),
  };
  if (Object.values<string>({ ...pki }).every((path) => existsSync(path))) return pki;
  mkdirSync(dir, { recursive: true });
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'], dir);
  openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      'ca.key',
      '-subj',
      '/CN=ipam-in-cluster-test-ca',
      '-days',
      '30',
      '-sha256',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-out',
      'ca.crt',
    ],
    dir,
  );
  const client = 'keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n';
  issue(
    dir,
    'apiserver',
    '/CN=kube-apiserver',
    'keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' +
      'subjectAltName=DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:127.0.0.1,IP:::1,IP:10.0.0.1\n',
  );
  // system:masters makes the admin a cluster-admin through RBAC's bootstrap bindings.
  issue(dir, 'admin', '/O=system:masters/CN=ipam-admin', client);
  // The controller manager acts with its own identity for every controller (no per-controller
  // service accounts here), so it needs the rights the namespace and GC controllers' accounts have.
  issue(dir, 'controller-manager', '/O=system:masters/CN=system:kube-controller-manager', client);
  openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'sa.key'], dir);
  openssl(['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
  return pki;
}
