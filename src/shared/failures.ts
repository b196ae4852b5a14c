/**
 * The one vocabulary of failure types: every `ApplicationFailure` the product throws, and every
 * type a workflow, the catalog, the API or the CLI branches on. Each line says whether Temporal
 * retries it and when it is thrown; docs/actions.md shows this table (generated from these
 * comments by `npm run schema`). Workflows branch on `failure.type`, never on `instanceof`.
 *
 * Failures raised by the SDK itself keep its names (`TimeoutFailure`, `CancelledFailure`, ...),
 * and network errors keep Node's code (`ECONNREFUSED`, ...): both are retried.
 */
export const FAILURE = {
  // ---- an action's failures (activities, by the catalog's declaration) -------------------
  /** Not retried. An input does not fit the action's schema (checked before it runs) or a rule of the action. */
  InvalidInput: 'InvalidInput',
  /** Not retried. The object named does not exist: a Kubernetes object, a runbook id. */
  NotFound: 'NotFound',
  /** Not retried. The worker's credentials may not do this (Kubernetes 401/403). */
  Forbidden: 'Forbidden',
  /** Retried. A concurrent writer changed the object between read and write (Kubernetes 409). */
  Conflict: 'Conflict',
  /** Not retried. Server-side apply found a field another manager owns; `force` takes it over. */
  ApplyConflict: 'ApplyConflict',
  /** Not retried. An HTTP endpoint answered 4xx (not 408 or 429): asking again gets the same answer. */
  HttpClientError: 'HttpClientError',
  /** Retried. An HTTP endpoint or an API the action calls (Kubernetes) answered 5xx. */
  HttpServerError: 'HttpServerError',
  /** Retried. An endpoint or API answered a status not accepted and neither a client error nor 5xx (3xx, 408, 429). */
  HttpUnexpectedStatus: 'HttpUnexpectedStatus',
  /** Not retried. An SMTP server refused the message for good: a 5xx reply (not 503), failed authentication, no recipient accepted, or no TLS where the target requires it. */
  SmtpRejected: 'SmtpRejected',
  /** Retried. A request got no answer within its timeout. */
  Timeout: 'Timeout',
  /** Retried. A check found things not as expected: `http:endpoint:check` with `require: true`, or `pg:query:smoke` with a row count outside `expectRows`. */
  CheckFailed: 'CheckFailed',
  /** Not retried. A step names a target that configuration lacks: a notification or ticket target, or a database (`databases.<name>`). */
  UnknownTarget: 'UnknownTarget',
  /** Not retried. A channel action names a target of another kind (notify:slack:post to an email target), or a redis target while operational events are off in the worker. */
  TargetKindUnsupported: 'TargetKindUnsupported',
  /** Not retried. A named secret is set neither in the environment nor in the secrets folder. */
  MissingSecret: 'MissingSecret',
  /** Not retried. A secret would go to a destination its configuration does not list (or through a cross-origin redirect): no request is made. */
  SecretNotAllowed: 'SecretNotAllowed',
  /** Not retried. A request (or a redirect it got) would go to a destination the egress policy refuses: not in `egress.allow`, or a link-local or cloud metadata address. No request is made there. */
  EgressRefused: 'EgressRefused',
  /** Not retried. A rollout did not finish within its timeout (the pods not ready are named). */
  RolloutTimeout: 'RolloutTimeout',
  /** Not retried. A node drain did not finish within its timeout (the pods left on the node are named). */
  DrainTimeout: 'DrainTimeout',
  /** Not retried. A rollout exceeded its progress deadline (Kubernetes gave up on it). */
  RolloutFailed: 'RolloutFailed',
  /** Not retried. Pods were not ready within the timeout (those not ready and why are named). */
  PodsNotReady: 'PodsNotReady',
  /** Not retried. A Job failed. */
  JobFailed: 'JobFailed',
  /** Not retried. A Job did not complete within the timeout. */
  JobTimeout: 'JobTimeout',
  /** Not retried. Stored bytes do not match their recorded size or sha256 (a corrupted or truncated backup), or a restored database differs from its backup's manifest: nothing is restored from them. */
  IntegrityFailed: 'IntegrityFailed',

  // ---- a run's failures (workflows) ---------------------------------------------------------
  /** Not retried. A step failed after its retries and the runbook says to fail: the run rolls back. */
  StepFailed: 'StepFailed',
  /** Not retried. An operator aborted a paused step, or nobody decided in time: the run rolls back. */
  Aborted: 'Aborted',
  /** Not retried. An approver rejected the change: the run ends as rejected and rolls back. */
  ApprovalRejected: 'ApprovalRejected',
  /** Not retried. Nobody decided on an approval in time (after escalation, if any). */
  ApprovalTimeout: 'ApprovalTimeout',
  /** Not retried. A verify step's expectation did not hold within its time. */
  VerifyTimeout: 'VerifyTimeout',
  /** Not retried. The alert that started the run resolved: it stopped before its next change. */
  AutoResolved: 'AutoResolved',
  /** Not retried. The target is locked by another run and the runbook says not to wait. */
  LockBusy: 'LockBusy',
  /** Not retried. The target stayed locked by another run for the whole lock timeout. */
  LockTimeout: 'LockTimeout',
  /** Not retried. The target's lock did not answer. */
  LockUnavailable: 'LockUnavailable',
  /** Not retried. The run was cancelled while the step ran (recorded on the step). */
  Cancelled: 'Cancelled',

  // ---- trust (the signed starts and decisions of docs/security.md) --------------------------
  /** Not retried. A start or decision lacks the API's signature, or it does not verify, or it expired: nothing is done. */
  Unverified: 'Unverified',
} as const;

export type FailureType = (typeof FAILURE)[keyof typeof FAILURE];

/** Approval outcomes are decisions by people: never continued past or paused on. */
export const DECISION_FAILURES: ReadonlySet<string> = new Set([FAILURE.ApprovalRejected, FAILURE.ApprovalTimeout]);

/** Lock outcomes are about other runs, not the step: never continued past or paused on. */
export const LOCK_FAILURES: ReadonlySet<string> = new Set([
  FAILURE.LockBusy,
  FAILURE.LockTimeout,
  FAILURE.LockUnavailable,
]);
