/**
 * The stack after composition (values checked against the stack schema, SPEC §1.6/§3) and the
 * files the renderer turns it into. Shared by stack/, manifest/ and deploy/.
 */
import type { ArtifactRef, SecretRef, Template } from "../lang/index.js";

/** A Str field of a stack may hold an artifact template, completed at deploy time. */
export type StackStr = string | Template | ArtifactRef;

export interface ComposedService {
  readonly name: string;
  /** Package module name. */
  readonly package: string;
  readonly binary: string;
  readonly args: readonly StackStr[];
  readonly dependsOn: readonly string[];
  /** Literal strings/templates, or secret references (go to the env file). */
  readonly environment: Readonly<Record<string, StackStr | SecretRef>>;
  /** Raw systemd [Service] directives; a Str may interpolate artifacts like any stack Str. */
  readonly serviceConfig: Readonly<Record<string, StackStr | number | boolean>>;
  readonly enable: boolean;
  /** Paths of the stack's configFiles whose change restarts this service (ADR 190). */
  readonly restartTriggers: readonly string[];
  /** A change reloads (`systemctl reload`) instead of restarting. */
  readonly reloadIfChanged: boolean;
}

export interface ConfigFileSpec {
  /** Absolute, normalised target path. */
  readonly path: string;
  /** Literal text, an artifact template, or (a secret file) a secret reference. */
  readonly content: StackStr | SecretRef;
  /** Octal permission bits; undefined = 0644 (0600 for a secret file). */
  readonly mode?: number;
}

export interface ArtifactDecl {
  readonly name: string;
  readonly kind: "literal" | "tlsa";
  readonly value?: StackStr;
  readonly fromCert?: string;
}

/** nixfleet's three kinds of health check (issue 11). Times in seconds. */
export type HealthCheck =
  | { readonly kind: "command"; readonly name: string; readonly command: string; readonly timeout: number; readonly interval: number }
  | { readonly kind: "systemd"; readonly name: string; readonly units: readonly string[]; readonly timeout: number; readonly interval: number }
  | {
      readonly kind: "http";
      readonly name: string;
      readonly url: string;
      /** Port and path on the target's loopback, from `url`. */
      readonly port: number;
      readonly path: string;
      readonly expectedStatus: number;
      readonly timeout: number;
      readonly interval: number;
    };

export interface ComposedStack {
  readonly name: string;
  readonly backend: "systemd";
  /** Package module names (storeModules + every service's package), deduplicated, sorted. */
  readonly packages: readonly string[];
  readonly services: readonly ComposedService[];
  readonly configFiles: readonly ConfigFileSpec[];
  readonly producesArtifacts: readonly ArtifactDecl[];
  readonly healthChecks: readonly HealthCheck[];
  /** Seconds the host's checks may take in all before it counts as unhealthy (default 60). */
  readonly healthTimeout: number;
  readonly tlsDomains: readonly string[];
  /** Every secret reference in source order (for [E11] and resolution). */
  readonly secretRefs: readonly SecretRef[];
  /** Every artifact reference consumed, in source order. */
  readonly artifactRefs: readonly ArtifactRef[];
}

/** One managed file a generation declares. */
export interface RenderedFile {
  /** Absolute target path. */
  readonly path: string;
  readonly content: Buffer;
  readonly mode: number;
  /** Holds a resolved secret: never stored under files/, HMAC in the manifest. */
  readonly secret: boolean;
}
