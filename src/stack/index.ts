/** The public surface of the stack stage; other stages import from here. */
export { composeStack, isStackModule, stackModuleNames, SUPPORTED_BACKENDS, ARTIFACT_KINDS, DEFAULT_HEALTH_TIMEOUT_SECONDS, HEALTH_DEFAULTS } from "./compose.js";
export type { ComposeResult } from "./compose.js";
export { renderSystemd, enabledUnits, SECRET_FILE_MODE, CONFIG_FILE_MODE, UNIT_MODE } from "./render-systemd.js";
export type { RenderContext, TlsMaterial } from "./render-systemd.js";
export { resolveSecrets, missingSecretsMessage, missingSecretsError, parseVaultFile } from "./secrets.js";
export type { SecretSources, ResolvedSecrets } from "./secrets.js";
export { isPlainHostname, tlsFiles, tlsaDigest, TLS_TARGET_DIR } from "./tls.js";
export type { TlsReader } from "./tls.js";
export { producedArtifacts } from "./artifacts.js";
export type { ArtifactContext } from "./artifacts.js";
export { completeStr, artifactRefsOf, artifactMissing } from "./complete-template.js";
export type { ArtifactValues } from "./complete-template.js";
export { isNormalisedAbsolutePath, unitPath, envFilePath, UNIT_DIR, SECRETS_DIR } from "./target-path.js";
export type * from "./types.js";
