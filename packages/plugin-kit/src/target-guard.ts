/**
 * Herald's SSRF guard, for plugins that connect somewhere a webhook's editor chose (a token
 * endpoint, a signing service): `TargetGuard.fromEnv()` applies the same rules and the same
 * `HERALD_ALLOWED_TARGETS` allow-list as Herald's own deliveries. See packages/transport's README.
 *
 * The guard's code is Herald's, in packages/transport/src/ssrf-guard.ts; the kit's build bundles
 * it into dist (scripts/build.ts), so a published kit has no dependency on a private package.
 */
export {
  ALLOWED_TARGETS_VARIABLE,
  TargetBlockedError,
  TargetGuard,
  parseAllowedTargets,
  type AllowedTargets,
  type Cidr,
  type IpFamily,
  type LookupAddress,
  type LookupAll,
  type TargetDecision,
  type TargetGuardOptions,
} from '../../transport/src/ssrf-guard.ts';
