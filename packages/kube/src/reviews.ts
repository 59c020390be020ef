// Delegated authentication and authorisation (what controller-runtime's secure metrics filter and
// kube-rbac-proxy do): a TokenReview asks the API server who a bearer token belongs to, a
// SubjectAccessReview asks whether that user may use a verb on a path or resource. Both are
// create-only, never stored, and need `create` on tokenreviews.authentication.k8s.io and
// subjectaccessreviews.authorization.k8s.io.
import { ContentType, type KubeTransport } from './transport.js';

/** The user a token belongs to (TokenReview `status.user`). */
export interface ReviewedUser {
  readonly username: string;
  readonly uid?: string;
  readonly groups?: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

export type TokenReviewResult =
  | { readonly authenticated: true; readonly user: ReviewedUser; readonly audiences?: readonly string[] }
  | { readonly authenticated: false; readonly error?: string };

interface TokenReviewWire {
  status?: {
    authenticated?: boolean;
    user?: ReviewedUser;
    audiences?: string[];
    error?: string;
  };
}

/**
 * Posts a TokenReview for `token`. `audiences` empty means the API server's own audiences (what a
 * ServiceAccount token from the TokenRequest API or a projected volume carries by default).
 */
export async function reviewToken(
  transport: KubeTransport,
  token: string,
  options: { audiences?: readonly string[]; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<TokenReviewResult> {
  const review = await transport.request<TokenReviewWire>({
    method: 'POST',
    path: '/apis/authentication.k8s.io/v1/tokenreviews',
    body: {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      spec: { token, ...(options.audiences === undefined ? {} : { audiences: [...options.audiences] }) },
    },
    contentType: ContentType.Json,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const status = review.status ?? {};
  if (status.authenticated === true && status.user !== undefined && typeof status.user.username === 'string')
    return {
      authenticated: true,
      user: status.user,
      ...(status.audiences === undefined ? {} : { audiences: status.audiences }),
    };
  return { authenticated: false, ...(status.error === undefined ? {} : { error: status.error }) };
}

/** What is asked: a non-resource path (`/metrics`) or a resource, with a verb. */
export type AccessAttributes =
  | { readonly nonResource: { readonly path: string; readonly verb: string } }
  | {
      readonly resource: {
        readonly verb: string;
        readonly group?: string;
        readonly resource: string;
        readonly namespace?: string;
        readonly name?: string;
      };
    };

export interface AccessReviewResult {
  readonly allowed: boolean;
  /** True when an authoriser denied outright (no other authoriser is asked). */
  readonly denied: boolean;
  readonly reason: string;
  /** Set when the authoriser failed to evaluate the request (the answer is then not allowed). */
  readonly evaluationError?: string;
}

interface AccessReviewWire {
  status?: { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string };
}

/** Posts a SubjectAccessReview: may `user` do what `attributes` describe? */
export async function reviewAccess(
  transport: KubeTransport,
  user: ReviewedUser,
  attributes: AccessAttributes,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<AccessReviewResult> {
  const spec: Record<string, unknown> = {
    user: user.username,
    ...(user.uid === undefined ? {} : { uid: user.uid }),
    ...(user.groups === undefined ? {} : { groups: [...user.groups] }),
    ...(user.extra === undefined ? {} : { extra: user.extra }),
  };
  if ('nonResource' in attributes) spec.nonResourceAttributes = { ...attributes.nonResource };
  else spec.resourceAttributes = { ...attributes.resource };
  const review = await transport.request<AccessReviewWire>({
    method: 'POST',
    path: '/apis/authorization.k8s.io/v1/subjectaccessreviews',
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec },
    contentType: ContentType.Json,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const status = review.status ?? {};
  return {
    allowed: status.allowed === true,
    denied: status.denied === true,
    reason: status.reason ?? '',
    ...(status.evaluationError === undefined || status.evaluationError === ''
      ? {}
      : { evaluationError: status.evaluationError }),
  };
}
