/**
 * @switchyard/kube-fake: an in-process fake Kubernetes API server for tests. A real HTTP/1.1
 * server on 127.0.0.1 that @kubernetes/client-node talks to unchanged, following the wire facts
 * of kubernetes-api.md in ../shared/reference/, beside this repository (§8 "What a faithful
 * fake must do").
 *
 * COVERED
 * - Resources: namespaced (and cluster-scoped) custom resources of installed
 *   apiextensions.k8s.io/v1 CRDs, every served version; built-in discovery.k8s.io/v1
 *   EndpointSlice, v1 Service, coordination.k8s.io/v1 Lease. Paths /api/v1/namespaces/<ns>/<plural>
 *   and /apis/<group>/<version>/namespaces/<ns>/<plural>[/<name>], cluster-wide lists and watches
 *   (/apis/<g>/<v>/<plural>), and the deprecated /watch/ path form.
 * - Verbs with the real codes: list, watch, get (200), create (201), replace (PUT 200), patch (merge
 *   patch and JSON patch, 200), delete (200 success Status; the object for Service),
 *   deletecollection (200, the deleted list). `GET B/<name>?watch=1` is a plain get.
 * - One global revision for all writes of all kinds; a no-op update keeps the RV and sends no event;
 *   uid, creationTimestamp, generation 1 → 2 on a non-metadata change (CRs, EndpointSlices).
 * - Errors as Status bodies byte for byte as kube-apiserver 1.26 (reference §2.3): 404 NotFound,
 *   409 AlreadyExists, 409 Conflict (stale RV on PUT or in a patch; delete preconditions, naming the
 *   kind), 422 for a CR PUT without RV, 500 without reason for a create carrying an RV, 422 name
 *   validation (DNS subdomain; DNS-1035 label for Services), 400 URL name/namespace mismatch,
 *   403 Forbidden from api.forbid (checked before the resource lookup), 413 for bodies over 3 MiB,
 *   400 for undecodable bodies, 415 for other patch types, 422 ListOptions combinations.
 * - An uninstalled CRD (or unserved version, any subresource, a namespaced object addressed
 *   without its namespace) answers Go's plain `404 page not found\n`; optional post-install 404
 *   window and create hold (options crdNotFoundMs / crdCreateHoldMs, off by default).
 *   uninstallCrd deletes the CRD's objects (DELETED events) and ends its watches, as Kubernetes
 *   does; installing a changed CRD over an installed one keeps the objects and ends its watches.
 * - Schema pruning per the installed CRD's structural schema on write and on read (so a narrow
 *   schema loses data as a real cluster does), x-kubernetes-preserve-unknown-fields honoured,
 *   `Warning: 299 - "unknown field \"…\""` headers, fieldValidation=Strict → 400, Ignore silent.
 * - list: labelSelector (full grammar), fieldSelector metadata.name/metadata.namespace, RV
 *   semantics of §2.2 (Exact through the event history, 410 when compacted, 504 for a future RV),
 *   limit/continue with remainingItemCount, an expired continue token → 410 with a fresh token.
 * - watch: chunked NDJSON, headers flushed at once; synthetic ADDED for RV unset/"0"; start at
 *   exact for an RV; selector transitions as ADDED/DELETED; DELETED with the deletion's RV;
 *   too-old RV → 200 + one ERROR 410 (reason Expired, or Gone by option) then a clean end;
 *   BOOKMARKs only with allowWatchBookmarks (periodically, ~1 s before a timeoutSeconds end, and on
 *   api.sendBookmarks(), each only once the resource has an event newer than what the watch saw);
 *   timeoutSeconds ends the body cleanly; api.endWatches/severWatches end or cut them.
 * - Finalizers on an HTTP DELETE: an object with metadata.finalizers is not deleted but marked
 *   (deletionTimestamp, deletionGracePeriodSeconds 0, a new RV, a MODIFIED event) and answered
 *   200 with the object; deleting it again changes nothing; an update may not add a finalizer to
 *   it (422) and keeps its deletionTimestamp; the update that empties its finalizers deletes it
 *   (DELETED event). api.remove() deletes at once, as after its finalizers are cleared.
 * - Kubernetes namespaces that do not exist, with the `namespaces` option only: a create in one
 *   answers NamespaceLifecycle's 404 `namespaces "x" not found` (details kind namespaces).
 * - Discovery documents (/version, /api, /apis, /api/v1, /apis/<g>/<v>) and /healthz, /readyz.
 * - Test controls: put/remove/get/list through the same write path, compact, down/up on the same
 *   port, forbid/allowAll, a bounded request log; installCrdsFrom reads deploy/crd's YAML as
 *   written (x-kubernetes-* keys included), as kubectl apply sends it.
 *
 * NOT COVERED (answers differ from a real server)
 * - No authentication, no TLS, no HTTP/2, no impersonation: every request is the configured user.
 * - No server-side apply, no strategic merge patch (415 saying so), no dryRun (400 saying so),
 *   no managedFields, no admission, no defaulting, no value validation against the schema (only
 *   pruning), no CEL rules, no status/scale subresources (their paths are the plain 404).
 * - Built-in kinds are stored as written (no Service clusterIP allocation, no EndpointSlice
 *   controller, no pruning of unknown built-in fields other than under metadata), and their
 *   fields are not validated: a Lease's acquireTime/renewTime need not be MicroTime, its
 *   leaseDurationSeconds may be 0. A PUT of a missing object is always 404 (kube-apiserver
 *   creates on update for some built-in kinds, such as Leases, when no resourceVersion is sent).
 * - No Namespace objects: by default every Kubernetes namespace exists, so a create into one a
 *   real cluster lacks succeeds here (the `namespaces` option makes it a 404); no namespace is
 *   ever being deleted (no 403 NamespaceTerminating).
 * - No etcd request limit: an object over etcd's 1.5 MiB is stored (a real server answers 500
 *   "etcdserver: request is too large"); only the 3 MiB body limit (413) is enforced.
 * - Deletes without finalizers are immediate (gracePeriodSeconds ignored, no graceful deletion);
 *   ownerReferences and garbage collection are stored but have no effect (no foreground or
 *   orphan finalizers are added, propagationPolicy is ignored).
 * - No API priority and fairness: never a 429 or a 503 with Retry-After, no
 *   `X-Kubernetes-Pf-*` headers, no `Audit-Id`.
 * - No UID preconditions on update, no `duplicate field` warnings, no 202 deletes; garbage
 *   bodies get a 400 whose message is the fake's own (the code and reason match).
 * - No conversion webhooks (all versions of a CRD share one stored object, apiVersion rewritten),
 *   no sendInitialEvents (ignored as 1.26 does), no field selectors beyond metadata.name/namespace,
 *   no YAML or protobuf bodies (JSON only), no server-side watch timeout unless timeoutSeconds.
 * - One event history for all kinds (a real server keeps one watch cache per resource).
 */
export { type Crd, CrdError, parseCrd } from './crd.js'
export {
  FakeKubeApi,
  FakeKubeError,
  type FakeKubeOptions,
  type ObjectRef,
  type RequestRecord,
} from './fake.js'
export type { Json, JsonObject } from './json.js'
export type { KubeconfigOptions } from './kubeconfig.js'
export type { ForbidRule, Verb } from './rbac.js'
export { type ExpiredReason, statusBody } from './status.js'
